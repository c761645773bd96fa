//! The execution plan engine: tasks form a DAG; the plan groups them into batches, predicts file conflicts,
//! pre-assigns worktrees and simulates schedules. Pure: it takes data and returns a plan; no I/O here.
