import styles from "./EmptyBoard.module.css";

type Props = {
  /** The project's tasks file, if it has one (it is kept in step with what is added here). */
  tasksFile: string | null;
  onNewTask: () => void;
  /** Opens the dialog that drafts the tasks with the project's agent, from an app spec or a goal. */
  onDraftTasks: () => void;
};

/** The board of a project with no task yet: the first one can be added here, or all drafted by the agent. */
export function EmptyBoard({ tasksFile, onNewTask, onDraftTasks }: Props) {
  return (
    <div className={styles.emptyBoard} data-testid="empty-board">
      <h2>No tasks yet</h2>
      <p>
        Add the first task: what to do, what it depends on and which files it touches, or let the agent draft them all
        from an app spec or a goal. YokeFlow plans the tasks and runs an agent on each.
      </p>
      <div className={styles.actions}>
        <button type="button" className="button primary" data-testid="new-task" onClick={onNewTask}>
          New task
        </button>
        <button type="button" className="button" data-testid="draft-tasks" onClick={onDraftTasks}>
          Draft tasks…
        </button>
      </div>
      <p className={styles.hint}>
        {tasksFile !== null && (
          <>
            Tasks added here are written to <code>{tasksFile}</code>, and edits made to it on disk are imported.{" "}
          </>
        )}
        Shortcut: <kbd>n</kbd>.
      </p>
    </div>
  );
}
