import { memo } from "react";
import type { ProjectSummary } from "../../bindings";
import { pathTail } from "../../board";
import { cx } from "../../classNames";
import { AddProject } from "../AddProject/AddProject";
import styles from "./Sidebar.module.css";

type Props = {
  /** `null` until the first list arrives. */
  projects: readonly ProjectSummary[] | null;
  /** The list could not be loaded (the error itself is shown elsewhere). */
  failed: boolean;
  selectedId: string | null;
  onSelect: (projectId: string) => void;
  onAddRepository: (path: string) => Promise<void>;
  /** Opens the dialog creating a project from an app spec. */
  onNewProject: () => void;
};

function SidebarInner({ projects, failed, selectedId, onSelect, onAddRepository, onNewProject }: Props) {
  return (
    <nav className={styles.sidebar} aria-label="Projects">
      <div className={styles.brand}>
        <span className={styles.brandMark} aria-hidden="true" />
        YokeFlow
      </div>
      <h2 className={styles.sidebarHeading}>Projects</h2>
      {projects === null ? (
        <p className={styles.sidebarNote}>{failed ? "Couldn't load projects" : "Loading…"}</p>
      ) : projects.length === 0 ? (
        <p className={styles.sidebarNote}>No projects yet</p>
      ) : (
        <ul className={styles.projectList}>
          {projects.map((summary) => (
            <li key={summary.project.id}>
              <ProjectItem summary={summary} selected={summary.project.id === selectedId} onSelect={onSelect} />
            </li>
          ))}
        </ul>
      )}
      <AddProject onAdd={onAddRepository} />
      <button type="button" className={cx("button small", styles.newProject)} data-testid="new-project" aria-haspopup="dialog" onClick={onNewProject}>
        New project from a spec…
      </button>
    </nav>
  );
}

type ItemProps = { summary: ProjectSummary; selected: boolean; onSelect: (projectId: string) => void };

const ProjectItem = memo(function ProjectItem({ summary, selected, onSelect }: ItemProps) {
  const { project, task_count: total, done_count: done } = summary;
  const percent = total === 0 ? 0 : Math.round((done / total) * 100);
  return (
    <button
      type="button"
      className={styles.projectItem}
      data-testid="project-item"
      data-project-id={project.id}
      aria-current={selected ? "true" : undefined}
      onClick={() => onSelect(project.id)}
      title={project.repo_path}
    >
      <span className={styles.projectName}>
        {project.name}
        {project.is_demo && <span className={styles.badge}>demo</span>}
      </span>
      <span className={styles.projectMeta}>
        <span className={styles.projectPath}>{pathTail(project.repo_path)}</span>
        <span className={styles.projectProgress} data-testid="project-progress">
          {done}/{total}
        </span>
      </span>
      <span className={styles.progress} aria-hidden="true">
        <span className={styles.progressBar} style={{ width: `${percent}%` }} />
      </span>
    </button>
  );
});

export const Sidebar = memo(SidebarInner);
