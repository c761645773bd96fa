import { useId, useMemo, useState } from "react";
import type { CardEdit, Epic, EpicDraft, ErrorDto } from "../../bindings";
import { refusalTitle, sortIssues, uniqueSlug } from "../../cards";
import { useCardCheckQuery, useEditTasks } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import { Field } from "../Field/Field";
import { Form } from "../Form/Form";
import { FormActions } from "../FormActions/FormActions";
import { GeneralIssues, Refusal } from "../Refusal/Refusal";
import styles from "./EpicForm.module.css";

const FIELDS = ["title", "id", "description"] as const;
type FieldName = (typeof FIELDS)[number];

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

  const fieldId = (field: FieldName) => `${uid}-${field}`;
  const issues = (field: FieldName) => ({ issues: sorted.byField.get(field) ?? [], issuesTestId: `epic-issue-${field}` });
  const titleId = `${uid}-heading`;

  return (
    <Dialog labelledBy={titleId} testId="epic-form" onCancel={onClose}>
      <Form className={styles.form} aria-labelledby={titleId} onSubmit={submit} ctrlEnter>
        <h2 id={titleId} className={styles.heading}>
          New epic
        </h2>
        <GeneralIssues testId="epic-form-issues" messages={sorted.general} />
        <Field id={fieldId("title")} label="Title" {...issues("title")}>
          {(control) => (
            <input
              {...control}
              data-testid="epic-form-title"
              value={title}
              onChange={(e) => {
                setTitle(e.target.value);
                edited();
              }}
            />
          )}
        </Field>
        <Field id={fieldId("id")} label="Id" {...issues("id")}>
          {(control) => (
            <input
              {...control}
              data-testid="epic-form-id"
              value={id}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => {
                setTypedId(e.target.value);
                edited();
              }}
            />
          )}
        </Field>
        <Field id={fieldId("description")} label="Description" {...issues("description")}>
          {(control) => (
            <textarea
              {...control}
              data-testid="epic-form-description"
              rows={3}
              value={description}
              onChange={(e) => {
                setDescription(e.target.value);
                edited();
              }}
            />
          )}
        </Field>
        {saveError !== null && <Refusal testId="epic-form-error" title={refusalTitle(saveError.code, "epic")} error={saveError} />}
        <FormActions footer>
          <button type="button" className="button" data-testid="epic-form-cancel" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" data-testid="epic-form-save" disabled={!canSave}>
            {save.isPending ? "Adding…" : "Add epic"}
          </button>
        </FormActions>
      </Form>
    </Dialog>
  );
}
