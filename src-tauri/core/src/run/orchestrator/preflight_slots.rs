//! The run's pre-flight slots ([`super::preflight`]): whether pre-flights run, how many at once (the project's
//! `parallel_tests` less the gate's one run), each slot's port range, and what they measured.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The run's pre-flights: whether they run, their test slots and port ranges, and what they measured.
pub(crate) struct Preflights {
    pub(super) test_command: Option<Vec<String>>,
    on: bool,
    pub(super) timeout: Duration,
    /// One permit per pre-flight slot, held as long as a task's folder is kept for its pre-flight.
    pub(super) slots: Semaphore,
    /// The port ranges ([`crate::workspace::ports`]) of the test slots not in use.
    ranges: Mutex<BTreeSet<u32>>,
    pub(super) times: Mutex<Vec<u64>>,
    pub(super) failed: AtomicU32,
}

impl Preflights {
    /// Pre-flights of `test_command` when `on` (the project's `preflight`; never in a sequential run, where the
    /// gate is free whenever a task is done), `parallel_tests` test runs at once with the gate's (1: none beside
    /// it), each killed after `timeout`; each slot's port range comes after the `workers` worker slots' and below the
    /// gate's (as many slots as there are such ranges).
    pub(crate) fn new(
        test_command: Option<Vec<String>>,
        on: bool,
        parallel_tests: u32,
        workers: u32,
        timeout: Duration,
    ) -> Preflights {
        let room = crate::workspace::ports::GATE_SLOT.saturating_sub(workers);
        let n = parallel_tests.saturating_sub(1).min(room);
        let ranges = (workers..workers + n).collect();
        Preflights {
            test_command,
            on: on && n > 0 && workers > 1,
            timeout,
            slots: Semaphore::new(n as usize),
            ranges: Mutex::new(ranges),
            times: Mutex::default(),
            failed: AtomicU32::new(0),
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.on && self.test_command.is_some()
    }

    /// How long each pre-flight test took (ms), in the order they ended.
    pub(crate) fn times(&self) -> Vec<u64> {
        self.times.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many pre-flights failed.
    pub(crate) fn failed(&self) -> u32 {
        self.failed.load(Ordering::Relaxed)
    }

    pub(super) fn take_range(&self) -> u32 {
        let mut free = self.ranges.lock().unwrap_or_else(|e| e.into_inner());
        // A permit is held: one of the slots' ranges is free.
        let first = free.iter().next().copied().unwrap_or(crate::workspace::ports::GATE_SLOT - 1);
        free.remove(&first);
        first
    }

    pub(super) fn give_back(&self, range: u32) {
        self.ranges.lock().unwrap_or_else(|e| e.into_inner()).insert(range);
    }
}
