import { useId } from "react";
import type { DraftChanges, DraftPreview, Epic, ExecutionPlan, TaskFileIssue } from "../../bindings";
import { formatEffort } from "../../board";
import { count, draftSummary, issuePlace, planSummary } from "../../drafts";
import styles from "./DraftDialog.module.css";

type Props = {
  preview: DraftPreview;
  /** The board's epics (a task of the draft may name one the draft does not declare). */
  epics: readonly Epic[];
};

/** A draft as the agent wrote it: its summary, what is wrong with it, its tasks, their plan, the changes and the file. */
export function DraftPreviewPanel({ preview, epics }: Props) {
  const headingId = useId();
  const epicTitles = new Map<string, string>();
  for (const e of [...epics, ...preview.epics]) epicTitles.set(e.id, e.title === "" ? e.id : e.title);
  return (
    <div className={styles.preview} data-testid="draft-preview">
      <p className={styles.summary} data-testid="draft-summary">
        {draftSummary(preview)}
      </p>
      {preview.issues.length > 0 && <Issues issues={preview.issues} logPath={preview.log_path} />}

      <section className={styles.section} aria-labelledby={headingId}>
        <h3 id={headingId} className={styles.sectionHeading}>
          Tasks
        </h3>
        {preview.tasks.length === 0 ? (
          <p className={styles.hint}>The draft has no task.</p>
        ) : (
          <div className={styles.tableWrap}>
            <table className={styles.table}>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Title</th>
                  <th scope="col">Epic</th>
                  <th scope="col">Depends on</th>
                  <th scope="col">Files</th>
                  <th scope="col" className={styles.number}>
                    Effort
                  </th>
                </tr>
              </thead>
              <tbody>
                {preview.tasks.map((t) => (
                  <tr key={t.id} data-testid="draft-task" data-task-id={t.id}>
                    <td>
                      <code className={styles.mono}>{t.id}</code>
                    </td>
                    <td>{t.title}</td>
                    <td>{t.epic === null ? "" : (epicTitles.get(t.epic) ?? t.epic)}</td>
                    <td className={styles.mono}>{t.depends_on.join(", ")}</td>
                    <td className={styles.mono}>{t.files.join(", ")}</td>
                    <td className={styles.number}>{formatEffort(t.effort_minutes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {preview.plan !== null && <Plan plan={preview.plan} />}
      <Changes changes={preview.changes} />

      <details className={styles.file} data-testid="draft-text">
        <summary>The drafted tasks file (YAML)</summary>
        <pre className={styles.yaml}>{preview.text}</pre>
      </details>
      <p className={styles.hint}>
        The agent's log: <code className={styles.mono}>{preview.log_path}</code>
      </p>
    </div>
  );
}

/** What is still wrong with the draft after the agent's fix: it cannot be accepted. */
function Issues({ issues, logPath }: { issues: readonly TaskFileIssue[]; logPath: string }) {
  const headingId = useId();
  return (
    <section className={styles.issues} data-testid="draft-issues" aria-labelledby={headingId}>
      <h3 id={headingId} className={styles.sectionHeading}>
        The draft is not valid ({count(issues.length, "issue")})
      </h3>
      <ul>
        {issues.map((issue, i) => {
          const place = issuePlace(issue);
          return (
            <li key={i} data-testid="draft-issue">
              {place !== "" && <span className={styles.place}>{place}: </span>}
              {issue.message}
            </li>
          );
        })}
      </ul>
      <p>
        Discard it and draft again (a clearer goal helps), or see the agent's log: <code className={styles.mono}>{logPath}</code>
      </p>
    </section>
  );
}

/** The plan the draft's tasks would make: its batches, its predicted time against one after another, its conflicts. */
function Plan({ plan }: { plan: ExecutionPlan }) {
  const headingId = useId();
  return (
    <section className={styles.section} data-testid="draft-batches" aria-labelledby={headingId}>
      <h3 id={headingId} className={styles.sectionHeading}>
        Plan
      </h3>
      <p className={styles.planLine} data-testid="draft-plan-summary">
        {planSummary(plan)}
      </p>
      <ol className={styles.batches}>
        {plan.batches.map((batch, i) => (
          <li key={batch.batch_id} data-testid="draft-batch" data-batch-id={batch.batch_id}>
            <span className={styles.batchName}>Batch {i + 1}</span>{" "}
            <span className={styles.mono}>{batch.task_ids.join(", ")}</span>
            {batch.can_parallel && <span className={styles.hint}> · in parallel</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** What accepting would change in the project's tasks. */
function Changes({ changes }: { changes: DraftChanges }) {
  const headingId = useId();
  const none = [changes.added, changes.changed, changes.removed, changes.kept].every((ids) => ids.length === 0);
  return (
    <section className={styles.section} data-testid="draft-changes" aria-labelledby={headingId}>
      <h3 id={headingId} className={styles.sectionHeading}>
        Changes to the current tasks
      </h3>
      {none ? (
        <p className={styles.hint}>None: the draft holds the tasks the project has.</p>
      ) : (
        <dl className={styles.changes}>
          <Change kind="added" label="New" ids={changes.added} />
          <Change kind="changed" label="Changed" ids={changes.changed} />
          <Change kind="removed" label="Removed from the Backlog on Accept" ids={changes.removed} />
          <Change kind="kept" label="Started, left out by the draft: kept" ids={changes.kept} />
        </dl>
      )}
    </section>
  );
}

function Change({ kind, label, ids }: { kind: keyof DraftChanges; label: string; ids: readonly string[] }) {
  if (ids.length === 0) return null;
  return (
    <div className={kind === "removed" ? styles.removed : styles.change} data-testid="draft-change" data-change={kind}>
      <dt>
        {label} ({ids.length})
      </dt>
      <dd className={styles.mono}>{ids.join(", ")}</dd>
    </div>
  );
}
