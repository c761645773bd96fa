import { useId, useMemo, useState } from "react";
import type { CardEdit, Epic, EpicDraft, ErrorDto } from "../../bindings";
import { refusalTitle, sortIssues, uniqueSlug } from "../../cards";
import { useCardCheckQuery, useEditTasks } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import { FieldIssues } from "../FieldIssues/FieldIssues";
import styles from "./EpicForm.module.css";

const FIELDS = ["title", "id", "description"] as const;
type Field = (typeof FIELDS)[number];

type Props = {
  projectId: string;
  /** The project's epics (their ids are taken). */
  epics: readonly Epic[];
  onClose: () => void;
  /** The core added the epic. */
  onCreated: (epic: Epic) => void;
};

/**
 * A new epic: a title, an id (following the title until typed) and a description, checked by the core as they are
 * typed. Save (or Ctrl+Enter) adds it to the project; Escape cancels.
 */
export function EpicForm({ projectId, epics, onClose, onCreated }: Props) {
  const uid = useId();
  const [title, setTitle] = useState("");
  const [typedId, setTypedId] = useState<string | null>(null);
  const [description, setDescription] = useState("");
  const [saveError, setSaveError] = useState<ErrorDto | null>(null);
  const save = useEditTasks();

  const taken = useMemo(() => new Set(epics.map((e) => e.id)), [epics]);
  const id = typedId ?? uniqueSlug(title, taken);
  const draft = useMemo<EpicDraft>(() => ({ id: id.trim(), title: title.trim(), description: description.trim() }), [id, title, description]);
  const changed = draft.id !== "" || draft.title !== "" || draft.description !== "";
  const edit = useMemo<CardEdit | null>(() => (changed ? { kind: "add_epic", epic: draft } : null), [changed, draft]);
  const check = useCardCheckQuery(projectId, edit);
  const sorted = sortIssues(changed ? (check.data ?? []) : [], draft.id, FIELDS);
  const hasIssues = sorted.general.length > 0 || sorted.byField.size > 0;
  const canSave = changed && !hasIssues && !save.isPending;

  const submit = () => {
    if (!canSave || edit === null) return;
    setSaveError(null);
    save.mutate(
      { projectId, edit },
      {
        onSuccess: () => onCreated({ ...draft }),
        onError: (error) => {
          setSaveError(error);
          if (error.code === "invalid_task_file") void check.refetch();
        },
      },
    );
  };
  const edited = () => setSaveError(null);

  const issuesOf = (field: Field) => sorted.byField.get(field) ?? [];
  const fieldId = (field: Field) => `${uid}-${field}`;
  const issueId = (field: Field) => `${uid}-${field}-issues`;
  const described = (field: Field) => (issuesOf(field).length > 0 ? issueId(field) : undefined);
  const invalid = (field: Field) => issuesOf(field).length > 0 || undefined;
  const issues = (field: Field) => <FieldIssues id={issueId(field)} testId={`epic-issue-${field}`} messages={issuesOf(field)} />;
  const titleId = `${uid}-heading`;

  return (
    <Dialog labelledBy={titleId} testId="epic-form" onCancel={onClose}>
      <form
        className={styles.form}
        aria-labelledby={titleId}
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit();
          }
        }}
      >
        <h2 id={titleId} className={styles.heading}>
          New epic
        </h2>
        {sorted.general.length > 0 && (
          <ul className={styles.general} data-testid="epic-form-issues">
            {sorted.general.map((message, i) => (
              <li key={i}>{message}</li>
            ))}
          </ul>
        )}
        <div className={styles.field}>
          <label htmlFor={fieldId("title")}>Title</label>
          <input
            id={fieldId("title")}
            className={styles.input}
            data-testid="epic-form-title"
            value={title}
            aria-invalid={invalid("title")}
            aria-describedby={described("title")}
            onChange={(e) => {
              setTitle(e.target.value);
              edited();
            }}
          />
          {issues("title")}
        </div>
        <div className={styles.field}>
          <label htmlFor={fieldId("id")}>Id</label>
          <input
            id={fieldId("id")}
            className={styles.input}
            data-testid="epic-form-id"
            value={id}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={invalid("id")}
            aria-describedby={described("id")}
            onChange={(e) => {
              setTypedId(e.target.value);
              edited();
            }}
          />
          {issues("id")}
        </div>
        <div className={styles.field}>
          <label htmlFor={fieldId("description")}>Description</label>
          <textarea
            id={fieldId("description")}
            className={styles.input}
            data-testid="epic-form-description"
            rows={3}
            value={description}
            aria-invalid={invalid("description")}
            aria-describedby={described("description")}
            onChange={(e) => {
              setDescription(e.target.value);
              edited();
            }}
          />
          {issues("description")}
        </div>
        {saveError !== null && (
          <p className={styles.refusal} role="alert" data-testid="epic-form-error" data-error-code={saveError.code}>
            <strong>{refusalTitle(saveError.code, "epic")}</strong> {saveError.message}
          </p>
        )}
        <div className={styles.actions}>
          <button type="button" className="button" data-testid="epic-form-cancel" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" data-testid="epic-form-save" disabled={!canSave}>
            {save.isPending ? "Adding…" : "Add epic"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
