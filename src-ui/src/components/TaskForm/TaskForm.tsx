import { useId, useMemo, useState, type ReactNode } from "react";
import type { CardEdit, CardResult, Epic, ErrorDto, Task } from "../../bindings";
import { localIssues, refusalTitle, sortIssues, taskDraft, taskFields, uniqueSlug, type TaskFields } from "../../cards";
import { useCardCheckQuery, useEditTasks } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import { EpicForm } from "../EpicForm/EpicForm";
import { controlClass, Field } from "../Field/Field";
import { FieldIssues } from "../FieldIssues/FieldIssues";
import { Form } from "../Form/Form";
import { ActionsNote, FormActions } from "../FormActions/FormActions";
import { GeneralIssues, Refusal } from "../Refusal/Refusal";
import styles from "./TaskForm.module.css";

/** The fields the core names in its issues, as the form shows them. */
const FIELDS = ["title", "id", "description", "epic", "depends_on", "files", "effort", "priority"] as const;
type FieldName = (typeof FIELDS)[number];

type Props = {
  projectId: string;
  /** The project's tasks: the dependencies to choose from, and the ids taken. */
  tasks: readonly Task[];
  /** The project's epics. */
  epics: readonly Epic[];
  /** The task edited; `null`: a new task. */
  task: Task | null;
  onClose: () => void;
  /** The core took the edit (the board and plan are read again); the form closes next. */
  onSaved?: (result: CardResult) => void;
};

/**
 * A task's card as a form, new or edited: what the core would find wrong is asked as the person types and shown
 * beside each field; Save sends it (Ctrl+Enter too), Escape cancels. A new task's id follows its title until typed.
 */
export function TaskForm({ projectId, tasks, epics, task, onClose, onSaved }: Props) {
  const isNew = task === null;
  const uid = useId();
  const [fields, setFields] = useState<TaskFields>(() => taskFields(task));
  // What the form started from: Save waits for a change.
  const [initial] = useState(() => JSON.stringify(taskDraft(taskFields(task), task?.id ?? "")));
  const [addedEpics, setAddedEpics] = useState<readonly Epic[]>([]);
  const [epicFormOpen, setEpicFormOpen] = useState(false);
  const [saveError, setSaveError] = useState<ErrorDto | null>(null);
  const save = useEditTasks();

  const taken = useMemo(() => new Set(tasks.map((t) => t.id)), [tasks]);
  const id = fields.id ?? uniqueSlug(fields.title, taken);
  const draft = useMemo(() => taskDraft(fields, id), [fields, id]);
  const changed = JSON.stringify(draft) !== initial;
  const edit = useMemo<CardEdit | null>(() => {
    if (!changed) return null;
    return isNew ? { kind: "add_task", task: draft } : { kind: "edit_task", task: draft };
  }, [changed, isNew, draft]);
  const check = useCardCheckQuery(projectId, edit);

  const local = localIssues(fields);
  const sorted = sortIssues(changed ? (check.data ?? []) : [], draft.id, FIELDS);
  const issuesOf = (field: FieldName): string[] => {
    const own = sorted.byField.get(field) ?? [];
    const mine = field === "effort" || field === "priority" ? local[field] : undefined;
    return mine === undefined ? [...own] : [...own, mine];
  };
  const hasIssues = sorted.general.length > 0 || sorted.byField.size > 0 || Object.keys(local).length > 0;
  const canSave = changed && !hasIssues && !save.isPending;

  const set = (change: Partial<TaskFields>) => {
    setFields((current) => ({ ...current, ...change }));
    setSaveError(null);
  };
  const submit = () => {
    if (!canSave || edit === null) return;
    setSaveError(null);
    save.mutate(
      { projectId, edit },
      {
        onSuccess: (result) => {
          onSaved?.(result);
          onClose();
        },
        onError: (error) => {
          setSaveError(error);
          // The core's reasons, field by field.
          if (error.code === "invalid_task_file") void check.refetch();
        },
      },
    );
  };

  const allEpics = [...epics, ...addedEpics.filter((added) => !epics.some((e) => e.id === added.id))];
  const fieldId = (field: FieldName) => `${uid}-${field}`;
  const issueId = (field: FieldName) => `${uid}-${field}-issues`;
  const issues = (field: FieldName) => ({ issues: issuesOf(field), issuesTestId: `field-issue-${field}` });
  const titleId = `${uid}-heading`;

  return (
    <>
      <Dialog labelledBy={titleId} testId="task-form" onCancel={onClose} wide>
        <Form className={styles.form} aria-labelledby={titleId} onSubmit={submit} ctrlEnter>
          <h2 id={titleId} className={styles.heading}>
            {isNew ? "New task" : `Edit task ${task.id}`}
          </h2>

          <GeneralIssues testId="task-form-issues" messages={sorted.general} />
          {check.error !== null && (
            <Refusal testId="task-form-check-error" title="Can't check this task." error={check.error} warning />
          )}

          <Field id={fieldId("title")} label="Title" {...issues("title")}>
            {(control) => (
              <input {...control} data-testid="task-form-title" value={fields.title} onChange={(e) => set({ title: e.target.value })} />
            )}
          </Field>

          <Field
            id={fieldId("id")}
            label="Id"
            hint={
              isNew ? "Lowercase letters, digits and dashes; follows the title until you type one." : "A task's id does not change."
            }
            {...issues("id")}
          >
            {(control) => (
              <input
                {...control}
                data-testid="task-form-id"
                value={id}
                readOnly={!isNew}
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => set({ id: e.target.value })}
              />
            )}
          </Field>

          <Field id={fieldId("description")} label="Description" {...issues("description")}>
            {(control) => (
              <textarea
                {...control}
                data-testid="task-form-description"
                rows={4}
                value={fields.description}
                onChange={(e) => set({ description: e.target.value })}
              />
            )}
          </Field>

          <Field
            id={fieldId("epic")}
            label="Epic"
            aside={
              <button type="button" className="button small" data-testid="new-epic" onClick={() => setEpicFormOpen(true)}>
                New epic…
              </button>
            }
            {...issues("epic")}
          >
            {(control) => (
              <select {...control} data-testid="task-form-epic" value={fields.epic} onChange={(e) => set({ epic: e.target.value })}>
                <option value="">No epic</option>
                {allEpics.map((epic) => (
                  <option key={epic.id} value={epic.id}>
                    {epic.title === "" ? epic.id : `${epic.title} (${epic.id})`}
                  </option>
                ))}
              </select>
            )}
          </Field>

          <Dependencies
            uid={uid}
            tasks={tasks}
            self={isNew ? null : task.id}
            chosen={fields.dependsOn}
            onChange={(dependsOn) => set({ dependsOn })}
            issuesId={issuesOf("depends_on").length > 0 ? issueId("depends_on") : undefined}
          >
            <FieldIssues id={issueId("depends_on")} testId="field-issue-depends_on" messages={issuesOf("depends_on")} />
          </Dependencies>

          <Field
            id={fieldId("files")}
            label="Files or globs"
            hint="One per line, e.g. src/cart/*.ts: what the task is expected to touch (for the plan's conflict predictions)."
            {...issues("files")}
          >
            {(control) => (
              <textarea
                {...control}
                data-testid="task-form-files"
                rows={3}
                spellCheck={false}
                value={fields.files}
                onChange={(e) => set({ files: e.target.value })}
              />
            )}
          </Field>

          <div className={styles.numbers}>
            <Field id={fieldId("effort")} label="Effort (minutes)" {...issues("effort")}>
              {(control) => (
                <input
                  {...control}
                  data-testid="task-form-effort"
                  type="number"
                  min={0}
                  step={1}
                  value={fields.effort}
                  onChange={(e) => set({ effort: e.target.value })}
                />
              )}
            </Field>
            <Field id={fieldId("priority")} label="Priority" hint="Higher goes first among tasks ready together." {...issues("priority")}>
              {(control) => (
                <input
                  {...control}
                  data-testid="task-form-priority"
                  type="number"
                  step={1}
                  value={fields.priority}
                  onChange={(e) => set({ priority: e.target.value })}
                />
              )}
            </Field>
          </div>

          {saveError !== null && <Refusal testId="task-form-error" title={refusalTitle(saveError.code, "task")} error={saveError} />}

          <FormActions footer>
            <ActionsNote>Ctrl+Enter saves · Esc cancels</ActionsNote>
            <button type="button" className="button" data-testid="task-form-cancel" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button primary" data-testid="task-form-save" disabled={!canSave}>
              {save.isPending ? "Saving…" : isNew ? "Add task" : "Save"}
            </button>
          </FormActions>
        </Form>
      </Dialog>
      {epicFormOpen && (
        <EpicForm
          projectId={projectId}
          epics={allEpics}
          onClose={() => setEpicFormOpen(false)}
          onCreated={(epic) => {
            setAddedEpics((list) => [...list, epic]);
            set({ epic: epic.id });
            setEpicFormOpen(false);
          }}
        />
      )}
    </>
  );
}

type DependenciesProps = {
  uid: string;
  tasks: readonly Task[];
  /** The task edited (not offered as its own dependency). */
  self: string | null;
  chosen: readonly string[];
  onChange: (dependsOn: string[]) => void;
  /** The id of the field's issues, when it has some. */
  issuesId: string | undefined;
  /** The field's issues. */
  children: ReactNode;
};

/** The tasks this one waits for: a checkbox per task of the project, filtered by what is typed above them. */
function Dependencies({ uid, tasks, self, chosen, onChange, issuesId, children }: DependenciesProps) {
  const [filter, setFilter] = useState("");
  // A dependency on a task the board does not hold (yet) stays listed, so it can be taken out.
  const unknown = chosen.filter((dep) => !tasks.some((t) => t.id === dep)).map((dep) => ({ id: dep, title: "" }));
  const candidates = [...tasks.filter((t) => t.id !== self), ...unknown];
  const needle = filter.trim().toLowerCase();
  const shown = needle === "" ? candidates : candidates.filter((t) => `${t.id} ${t.title}`.toLowerCase().includes(needle));
  const legendId = `${uid}-deps-legend`;
  return (
    <fieldset className={styles.deps} aria-describedby={issuesId} data-testid="task-form-deps">
      <legend id={legendId}>
        Depends on {chosen.length > 0 && <span className={styles.count}>({chosen.length} chosen)</span>}
      </legend>
      <input
        className={controlClass()}
        type="search"
        aria-label="Filter the tasks to depend on"
        data-testid="task-form-deps-filter"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      {candidates.length === 0 ? (
        <p className={styles.hint}>No other task yet.</p>
      ) : (
        <ul className={styles.depList} aria-labelledby={legendId}>
          {shown.map((t) => (
            <li key={t.id}>
              <label className={styles.dep}>
                <input
                  type="checkbox"
                  data-testid="task-form-dep"
                  data-task-id={t.id}
                  checked={chosen.includes(t.id)}
                  onChange={(e) => onChange(e.target.checked ? [...chosen, t.id] : chosen.filter((dep) => dep !== t.id))}
                />
                <code className={styles.depId}>{t.id}</code> <span className={styles.depTitle}>{t.title}</span>
              </label>
            </li>
          ))}
          {shown.length === 0 && <li className={styles.hint}>No task matches.</li>}
        </ul>
      )}
      {children}
    </fieldset>
  );
}
