import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { ErrorDto, InitReport } from "../../bindings";
import { initRefusalTitle, pathProblem } from "../../newProject";
import { useInitProject } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import styles from "./NewProjectDialog.module.css";

type Props = {
  /** Cancel or Escape (not while the project is being created). */
  onClose: () => void;
  /** The project exists (the projects list is read again): `spec` is the app spec's path as sent. */
  onCreated: (report: InitReport, spec: string) => void;
};

/**
 * A new project from an app spec: a folder (created with a git repository if needed) and the Markdown file
 * describing the app, both full paths. The core copies the project template, writes CLAUDE.md and an expert per
 * domain the spec touches, commits them and registers the project; the caller then drafts its tasks. A refusal is
 * shown here, the fields kept.
 */
export function NewProjectDialog({ onClose, onCreated }: Props) {
  const uid = useId();
  const [path, setPath] = useState("");
  const [spec, setSpec] = useState("");
  const [refusal, setRefusal] = useState<ErrorDto | null>(null);
  const init = useInitProject();
  const creating = init.isPending;
  const canCreate = !creating && path.trim() !== "" && spec.trim() !== "";

  // The fields and buttons are disabled while the project is created: the focus goes to the status, then back to
  // Create after a refusal, so Tab and Escape keep working in the dialog.
  const statusRef = useRef<HTMLSpanElement>(null);
  const createRef = useRef<HTMLButtonElement>(null);
  const wasCreating = useRef(false);
  useEffect(() => {
    if (wasCreating.current === creating) return;
    wasCreating.current = creating;
    (creating ? statusRef.current : createRef.current)?.focus();
  }, [creating]);

  const create = (event: FormEvent) => {
    event.preventDefault();
    if (!canCreate) return;
    const wanted = { path: path.trim(), spec: spec.trim() };
    const problem = pathProblem(wanted.path, wanted.spec);
    if (problem !== null) {
      setRefusal({ code: "invalid_input", message: problem });
      return;
    }
    setRefusal(null);
    init.mutateAsync(wanted).then(
      (report) => onCreated(report, wanted.spec),
      (error: ErrorDto) => setRefusal(error),
    );
  };

  const close = () => {
    // The project is being created: it is announced (and opened) once it exists.
    if (!creating) onClose();
  };

  const titleId = `${uid}-heading`;
  return (
    <Dialog labelledBy={titleId} testId="new-project-dialog" onCancel={close} wide>
      <form className={styles.form} onSubmit={create} aria-busy={creating || undefined}>
        <h2 id={titleId} className={styles.heading}>
          New project from a spec
        </h2>
        <p className={styles.lead}>
          YokeFlow sets the folder up for its agents (a git repository, the project template, CLAUDE.md and an expert per
          domain the spec touches, committed), then the agent drafts the tasks from the spec.
        </p>
        <fieldset className={styles.fields} disabled={creating}>
          <div className={styles.field}>
            <label htmlFor={`${uid}-path`}>Project folder</label>
            <input
              id={`${uid}-path`}
              className={styles.input}
              data-testid="new-project-path"
              type="text"
              spellCheck={false}
              autoComplete="off"
              placeholder="/home/me/code/shop"
              aria-describedby={`${uid}-path-hint`}
              value={path}
              onChange={(e) => setPath(e.target.value)}
            />
            <p id={`${uid}-path-hint`} className={styles.hint}>
              Its full path. Created with a git repository if it does not exist; not inside another repository.
            </p>
          </div>
          <div className={styles.field}>
            <label htmlFor={`${uid}-spec`}>App spec (Markdown)</label>
            <input
              id={`${uid}-spec`}
              className={styles.input}
              data-testid="new-project-spec"
              type="text"
              spellCheck={false}
              autoComplete="off"
              placeholder="/home/me/specs/shop.md"
              aria-describedby={`${uid}-spec-hint`}
              value={spec}
              onChange={(e) => setSpec(e.target.value)}
            />
            <p id={`${uid}-spec-hint`} className={styles.hint}>
              The full path of the Markdown file describing the app.
            </p>
          </div>
        </fieldset>
        {refusal !== null && (
          <p className={styles.refusal} role="alert" data-testid="new-project-error" data-error-code={refusal.code}>
            <strong>{initRefusalTitle(refusal.code)}</strong> {refusal.message}
          </p>
        )}
        <div className={styles.actions}>
          {creating && (
            <span ref={statusRef} className={styles.status} role="status" tabIndex={-1}>
              Creating the project…
            </span>
          )}
          <button type="button" className="button" data-testid="new-project-cancel" disabled={creating} onClick={close}>
            Cancel
          </button>
          <button ref={createRef} type="submit" className="button primary small" data-testid="new-project-create" disabled={!canCreate}>
            {creating ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
