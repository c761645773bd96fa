import type { ReactNode } from "react";
import type { Project } from "../../bindings";
import styles from "./MainPanel.module.css";

type Props = {
  /** The project shown, for the title; null: the app's name. */
  project: Project | null;
  /** Something is being read: Refresh waits. */
  busy: boolean;
  onRefresh: () => void;
  /** Shown before Refresh (the run toolbar). */
  actions?: ReactNode;
  children: ReactNode;
};

/** The main column: the project's title and actions above what it shows. */
export function MainPanel({ project, busy, onRefresh, actions, children }: Props) {
  return (
    <main className={styles.main} aria-busy={busy}>
      <header className={styles.mainHead}>
        <div className={styles.mainTitle}>
          <h1 title={project?.name}>{project?.name ?? "YokeFlow"}</h1>
          {project !== null && (
            <p className={styles.mainMeta}>
              <span title="Target branch" className="branch">
                {project.target_branch}
              </span>
              <span className={styles.repoPath}>{project.repo_path}</span>
            </p>
          )}
        </div>
        <div className={styles.mainActions}>
          {actions}
          <button
            type="button"
            className={`button ${styles.refresh}`}
            data-testid="refresh"
            onClick={onRefresh}
            disabled={busy}
            title={busy ? "Refreshing…" : "Refresh: read the board, the plan and the project again"}
          >
            <span aria-hidden="true">↻</span>
            <span className={styles.refreshLabel}>{busy ? "Refreshing…" : "Refresh"}</span>
          </button>
        </div>
      </header>
      <div className={styles.mainBody}>{children}</div>
    </main>
  );
}
