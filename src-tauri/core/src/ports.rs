//! Ports for what agents, setup scripts and the gate's tests start (dev servers, test servers): each worker slot
//! gets a range of its own, so the servers of tasks running side by side never ask for the same port. A process
//! reads the first of its range from `YOKEFLOW_PORT` and how many it has from `YOKEFLOW_PORTS`.

/// The first port of slot 0's range.
pub const BASE_PORT: u16 = 42_000;
/// Ports per range.
pub const PORTS_PER_SLOT: u16 = 10;
/// The range of the merge gate's test command (above every worker slot: at most 64 worktrees).
pub const GATE_SLOT: u32 = 64;

/// The first port of `slot`'s range.
pub fn first_port(slot: u32) -> u16 {
    let slot = slot.min(GATE_SLOT) as u16;
    BASE_PORT + slot * PORTS_PER_SLOT
}

/// The variables that tell a process its slot's ports (and the slot, for a worker).
pub fn env(slot: u32) -> [(&'static str, String); 2] {
    [("YOKEFLOW_PORT", first_port(slot).to_string()), ("YOKEFLOW_PORTS", PORTS_PER_SLOT.to_string())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_never_overlap_and_the_gate_has_its_own() {
        let mut seen = std::collections::HashSet::new();
        for slot in 0..=GATE_SLOT {
            for p in first_port(slot)..first_port(slot) + PORTS_PER_SLOT {
                assert!(seen.insert(p), "port {p} in two ranges");
            }
        }
        assert_eq!(first_port(GATE_SLOT), first_port(GATE_SLOT + 5), "anything above is the gate's range");
        assert!(u32::from(first_port(GATE_SLOT)) + u32::from(PORTS_PER_SLOT) < 65_536);
    }
}
