import type { Board, Project, ProjectSummary, Task } from "../bindings";

export function project(overrides: Partial<Project> = {}): Project {
  return {
    id: "p1",
    name: "Demo shop",
    repo_path: "/home/me/src/demo-shop",
    target_branch: "main",
    tasks_file: "tasks.yaml",
    agent_command: null,
    test_command: null,
    max_worktrees: 3,
    is_demo: true,
    created_at: 1_700_000_000,
    ...overrides,
  };
}

export function summary(p: Project, task_count = 0, done_count = 0): ProjectSummary {
  return { project: p, task_count, done_count };
}

export function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    title: `Task ${id}`,
    description: "",
    epic: null,
    status: "backlog",
    depends_on: [],
    files: [],
    predicted_files: [],
    effort_minutes: 30,
    priority: 0,
    review_reason: null,
    conflict_warning: null,
    ...overrides,
  };
}

export function board(tasks: Task[], p: Project = project()): Board {
  return {
    project: p,
    epics: [
      { id: "checkout", title: "Checkout", description: "" },
      { id: "search", title: "Search", description: "" },
    ],
    tasks,
  };
}
