import { useId, useState } from "react";
import type { ExpertiseConflict, ExpertiseKeep } from "../../bindings";
import { formatClock, isDeletion, isoTime } from "../../expertise";
import { useResolveExpertiseConflict } from "../../queries";
import styles from "./ExpertiseView.module.css";

type Props = {
  projectId: string;
  conflicts: readonly ExpertiseConflict[];
  /** Shows why a resolution was refused (a toast). */
  onError: (reason: unknown) => void;
};

/** The open conflicts, each with both versions side by side and the choice of the one to keep. */
export function ConflictPanel({ projectId, conflicts, onError }: Props) {
  return (
    <ul className={styles.conflicts}>
      {conflicts.map((conflict) => (
        <ConflictCard key={conflict.id} projectId={projectId} conflict={conflict} onError={onError} />
      ))}
    </ul>
  );
}

type CardProps = { projectId: string; conflict: ExpertiseConflict; onError: (reason: unknown) => void };

/** One domain's conflict: the database's version beside the file's (or its deletion), and what to keep. */
function ConflictCard({ projectId, conflict, onError }: CardProps) {
  const resolve = useResolveExpertiseConflict();
  const deleted = isDeletion(conflict);
  const keep = (side: ExpertiseKeep) => resolve.mutate({ projectId, domain: conflict.domain, keep: side }, { onError });
  return (
    <li className={styles.conflict} data-testid="expertise-conflict" data-domain={conflict.domain} data-deleted={deleted}>
      <p className={styles.conflictTitle}>
        <strong>{conflict.domain}</strong>
        {deleted ? ": its file was deleted, but the database still holds its expertise." : ": its file and the database disagree."}{" "}
        <span className={styles.detected}>
          Found <time dateTime={isoTime(conflict.detected_at)}>{formatClock(conflict.detected_at)}</time>
        </span>
      </p>
      <div className={styles.versions}>
        <Version label="Database" text={conflict.db_version} />
        <Version label="File on disk" text={deleted ? null : conflict.file_version} />
      </div>
      {deleted ? (
        <DeletionActions domain={conflict.domain} busy={resolve.isPending} onKeep={keep} />
      ) : (
        <div className={styles.actions}>
          <button type="button" className="button small" data-testid="resolve-db" disabled={resolve.isPending} onClick={() => keep("db")}>
            Keep the database version
          </button>
          <button
            type="button"
            className="button small"
            data-testid="resolve-file"
            disabled={resolve.isPending}
            onClick={() => keep("file")}
          >
            Keep the file
          </button>
        </div>
      )}
    </li>
  );
}

/** One side of a conflict, under its label; `null` text: the file was deleted. */
function Version({ label, text }: { label: string; text: string | null }) {
  const labelId = useId();
  return (
    <figure className={styles.version} aria-labelledby={labelId}>
      <figcaption id={labelId} className={styles.versionLabel}>
        {label}
      </figcaption>
      {text === null ? <p className={styles.deletedNote}>The file was deleted.</p> : <pre className={styles.yaml}>{text}</pre>}
    </figure>
  );
}

type DeletionProps = { domain: string; busy: boolean; onKeep: (side: ExpertiseKeep) => void };

/**
 * A deleted file's choices: restore it from the database, or forget the domain (the file's side), after a second
 * click that says what goes.
 */
function DeletionActions({ domain, busy, onKeep }: DeletionProps) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <div className={styles.actions}>
        <button type="button" className="button small" data-testid="resolve-db" disabled={busy} onClick={() => onKeep("db")}>
          Restore the file
        </button>
        <button type="button" className="button small danger" data-testid="resolve-file" disabled={busy} onClick={() => setAsking(true)}>
          Forget this domain
        </button>
      </div>
    );
  }
  return (
    <div className={styles.actions} role="group" aria-label="Confirm forgetting the domain">
      <span className={styles.confirm}>
        Forget <strong>{domain}</strong>? Its expertise leaves the database, with its generated skill; the routing
        decisions stay.
      </span>
      <button type="button" className="button small danger" data-testid="resolve-file-confirm" disabled={busy} onClick={() => onKeep("file")}>
        {busy ? "Forgetting…" : "Forget"}
      </button>
      <button type="button" className="button small" data-testid="resolve-file-cancel" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </div>
  );
}
