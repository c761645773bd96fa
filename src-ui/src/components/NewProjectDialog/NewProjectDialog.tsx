import { useEffect, useId, useRef, useState } from "react";
import type { ErrorDto, InitReport } from "../../bindings";
import { initRefusalTitle, pathProblem } from "../../newProject";
import { useInitProject } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import { Field, Fields } from "../Field/Field";
import { Form } from "../Form/Form";
import { FormActions } from "../FormActions/FormActions";
import { Refusal } from "../Refusal/Refusal";
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

  const create = () => {
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
      <Form className={styles.form} onSubmit={create} aria-busy={creating || undefined}>
        <h2 id={titleId} className={styles.heading}>
          New project from a spec
        </h2>
        <p className={styles.lead}>
          YokeFlow sets the folder up for its agents (a git repository, the project template, CLAUDE.md and an expert per
          domain the spec touches, committed), then the agent drafts the tasks from the spec.
        </p>
        <Fields disabled={creating}>
          <Field
            id={`${uid}-path`}
            label="Project folder"
            look="path"
            hint="Its full path, e.g. /home/me/code/shop. Created with a git repository if it does not exist; not inside another repository."
          >
            {(control) => (
              <input
                {...control}
                data-testid="new-project-path"
                type="text"
                spellCheck={false}
                autoComplete="off"
                value={path}
                onChange={(e) => setPath(e.target.value)}
              />
            )}
          </Field>
          <Field
            id={`${uid}-spec`}
            label="App spec (Markdown)"
            look="path"
            hint="The full path of the Markdown file describing the app, e.g. /home/me/specs/shop.md."
          >
            {(control) => (
              <input
                {...control}
                data-testid="new-project-spec"
                type="text"
                spellCheck={false}
                autoComplete="off"
                value={spec}
                onChange={(e) => setSpec(e.target.value)}
              />
            )}
          </Field>
        </Fields>
        {refusal !== null && <Refusal testId="new-project-error" title={initRefusalTitle(refusal.code)} error={refusal} />}
        <FormActions footer>
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
        </FormActions>
      </Form>
    </Dialog>
  );
}
