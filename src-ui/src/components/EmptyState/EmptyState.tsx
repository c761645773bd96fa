import styles from "./EmptyState.module.css";
type Props = { creating: boolean; onCreateDemo: () => void };

/** Shown when no project is registered yet. */
export function EmptyState({ creating, onCreateDemo }: Props) {
  return (
    <div className={styles.emptyState} data-testid="empty-state">
      <div className={styles.emptyArt} aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </div>
      <h1>Welcome to YokeFlow</h1>
      <p>
        YokeFlow runs AI coding agents side by side, each in its own git worktree, and merges their work back safely.
        Try it on a small demo repository with a handful of tasks.
      </p>
      <button type="button" className="button primary" data-testid="create-demo" onClick={onCreateDemo} disabled={creating}>
        {creating ? "Creating…" : "Create demo project"}
      </button>
      <p className={styles.hint}>
        Or add your own git repository with <strong>Add a repository</strong> in the sidebar: its{" "}
        <code>yokeflow.yaml</code>, if it has one, is imported and planned.
      </p>
    </div>
  );
}
