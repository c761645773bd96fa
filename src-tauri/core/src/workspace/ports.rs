//! Ports for what agents, setup scripts and the gate's tests start (dev servers, test servers): each project has a
//! block of ports, and in it each worker slot a range of its own, so the servers of tasks running side by side —
//! in one project or in several at once — never ask for the same port. A process reads the first of its range from
//! `YOKEFLOW_PORT` and how many it has from `YOKEFLOW_PORTS`.

/// The first port of the first project's block.
pub const BASE_PORT: u16 = 42_000;
/// Ports per range.
pub const PORTS_PER_SLOT: u16 = 10;
/// The range of the merge gate's test command (above every worker slot: at most 64 worktrees).
pub const GATE_SLOT: u32 = 64;
/// Ports per project: a range per worker slot and the gate's.
pub const BLOCK: u16 = (GATE_SLOT as u16 + 1) * PORTS_PER_SLOT;
/// Projects with a block of their own before the blocks are used again (the 36th shares the first's).
pub const PROJECT_BLOCKS: u32 = 35;

/// The first port of the block of the project that was registered `index`-th (0-based).
pub fn project_base(index: u32) -> u16 {
    BASE_PORT + (index % PROJECT_BLOCKS) as u16 * BLOCK
}

/// The first port of `slot`'s range in the block starting at `base`.
pub fn first_port(base: u16, slot: u32) -> u16 {
    base + slot.min(GATE_SLOT) as u16 * PORTS_PER_SLOT
}

/// The variables that tell a process its slot's ports.
pub fn env(base: u16, slot: u32) -> [(&'static str, String); 2] {
    [("YOKEFLOW_PORT", first_port(base, slot).to_string()), ("YOKEFLOW_PORTS", PORTS_PER_SLOT.to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_never_overlap_across_slots_and_projects_and_stay_valid() {
        let mut seen = std::collections::HashSet::new();
        for project in 0..PROJECT_BLOCKS {
            let base = project_base(project);
            for slot in 0..=GATE_SLOT {
                for p in first_port(base, slot)..first_port(base, slot) + PORTS_PER_SLOT {
                    assert!(seen.insert(p), "port {p} in two ranges");
                }
            }
        }
        assert_eq!(first_port(BASE_PORT, GATE_SLOT), first_port(BASE_PORT, GATE_SLOT + 5), "above: the gate's range");
        let last = u32::from(project_base(PROJECT_BLOCKS - 1)) + u32::from(BLOCK);
        assert!(last <= 65_536, "{last}");
        assert_eq!(project_base(PROJECT_BLOCKS), BASE_PORT, "blocks are used again after the last");
    }
}
