import { useEffect, useEffectEvent, useId, useRef, useState } from "react";
import type { DraftRequest } from "../../api";
import type { Accepted, DraftPreview, Epic, ErrorDto } from "../../bindings";
import { useNow } from "../../clock";
import { draftRefusalTitle, elapsedSeconds, type DraftStep } from "../../drafts";
import { useAcceptDraft, useDiscardDraft, useDraftTasks } from "../../queries";
import { Dialog } from "../Dialog/Dialog";
import { Field, Fields } from "../Field/Field";
import { Form } from "../Form/Form";
import { ActionsNote, FormActions } from "../FormActions/FormActions";
import { Refusal } from "../Refusal/Refusal";
import { Spinner } from "../Spinner/Spinner";
import { DraftApproval } from "./DraftApproval";
import { DraftPreviewPanel } from "./DraftPreviewPanel";
import styles from "./DraftDialog.module.css";

type Props = {
  projectId: string;
  /** The board's epics: a draft can be asked for one of them. */
  epics: readonly Epic[];
  /** What the spec field starts with (the app spec a project was just created from); empty when not given. */
  initialSpec?: string | null;
  onClose: () => void;
  /** The draft became the project's tasks (the board and plan are read again); the dialog closes next. */
  onAccepted?: (accepted: Accepted, preview: DraftPreview) => void;
  /** A draft could not be discarded once the dialog was closed. */
  onError?: (error: ErrorDto) => void;
};

/** What the dialog shows: the form, the agent at work, or its draft. */
type Phase = "form" | "busy" | "preview";

/**
 * Session 0: the project's tasks drafted by its agent from an app spec or a goal (minutes), previewed (tasks, plan,
 * changes against the current tasks), then accepted as the project's tasks file or discarded. Closing the dialog
 * discards a draft shown, or one still coming; nothing of the project changes until Accept.
 */
export function DraftDialog({ projectId, epics, initialSpec, onClose, onAccepted, onError }: Props) {
  const uid = useId();
  const [spec, setSpec] = useState(initialSpec ?? "");
  const [goal, setGoal] = useState("");
  const [epic, setEpic] = useState("");
  /** When the agent was asked (ms); `null` while it is not drafting. */
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [preview, setPreview] = useState<DraftPreview | null>(null);
  /** What was asked for the draft shown. */
  const [asked, setAsked] = useState<DraftRequest | null>(null);
  const [refusal, setRefusal] = useState<{ step: DraftStep; error: ErrorDto } | null>(null);
  const draft = useDraftTasks();
  const accept = useAcceptDraft();
  const discard = useDiscardDraft();

  const drop = (draftId: string) => {
    discard.mutateAsync({ projectId, draftId }).catch((error: ErrorDto) => {
      // Gone already: nothing to discard.
      if (error.code !== "not_found") onError?.(error);
    });
  };

  // Drafts do not pile up: the draft shown is discarded when the dialog goes (closed, or another project chosen)
  // unless it was accepted, and a draft that arrives once the dialog is gone is discarded too.
  const open = useRef(true);
  const shown = useRef<string | null>(null);
  const dropShown = useEffectEvent(() => {
    if (shown.current !== null) drop(shown.current);
    shown.current = null;
  });
  useEffect(() => {
    open.current = true;
    return () => {
      open.current = false;
      dropShown();
    };
  }, []);

  const phase: Phase = preview !== null ? "preview" : startedAt !== null ? "busy" : "form";
  const busyRef = useRef<HTMLDivElement>(null);
  const previewRef = useRef<HTMLDivElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const shownPhase = useRef<Phase>(phase);
  // The focus follows the phase (the control it was on is gone or disabled), so Escape and Tab keep working.
  useEffect(() => {
    if (shownPhase.current === phase) return;
    shownPhase.current = phase;
    const target = phase === "busy" ? busyRef.current : phase === "preview" ? previewRef.current : startRef.current;
    target?.focus();
  }, [phase]);

  const request: DraftRequest = { spec: spec.trim() || null, goal: goal.trim() || null, epic: epic || null };
  const canDraft = phase === "form" && (request.spec !== null || request.goal !== null);

  const start = () => {
    if (!canDraft) return;
    const sent = request;
    setRefusal(null);
    setStartedAt(Date.now());
    draft.mutateAsync({ projectId, request: sent }).then(
      (result) => {
        if (!open.current) {
          drop(result.draft_id);
          return;
        }
        shown.current = result.draft_id;
        setStartedAt(null);
        setAsked(sent);
        setPreview(result);
      },
      (error: ErrorDto) => {
        setStartedAt(null);
        setRefusal({ step: "draft", error });
      },
    );
  };

  const close = () => {
    if (accept.isPending) return;
    if (shown.current !== null) drop(shown.current);
    shown.current = null;
    onClose();
  };

  const acceptShown = () => {
    if (preview === null || preview.issues.length > 0 || accept.isPending) return;
    const draftShown = preview;
    // Being accepted: not discarded if the dialog goes meanwhile.
    shown.current = null;
    setRefusal(null);
    accept.mutate(
      { projectId, draftId: draftShown.draft_id },
      {
        onSuccess: (accepted) => {
          onAccepted?.(accepted, draftShown);
          onClose();
        },
        onError: (error) => {
          shown.current = draftShown.draft_id;
          setRefusal({ step: "accept", error });
        },
      },
    );
  };

  const titleId = `${uid}-heading`;
  const valid = preview !== null && preview.issues.length === 0;
  const removed = preview?.changes.removed.length ?? 0;

  return (
    <Dialog labelledBy={titleId} testId="draft-dialog" onCancel={close} large>
      <div className={styles.body}>
        <h2 id={titleId} className={styles.heading}>
          Draft tasks with the agent
        </h2>

        {phase === "preview" ? (
          <AskedLine asked={asked} epics={epics} />
        ) : (
          <Form className={styles.form} onSubmit={start}>
            <p className={styles.lead}>
              The project's agent reads the app spec or the goal and the repository, and writes the tasks. You see them,
              their plan and what they change before anything is imported.
            </p>
            <Fields disabled={phase === "busy"}>
              <Field
                id={`${uid}-spec`}
                label="App spec file"
                hint="The full path of a Markdown file describing the app, e.g. /home/me/code/shop/docs/app_spec.md (or relative to the repository). Optional with a goal."
              >
                {(control) => (
                  <input
                    {...control}
                    data-testid="draft-spec"
                    type="text"
                    spellCheck={false}
                    autoComplete="off"
                    value={spec}
                    onChange={(e) => setSpec(e.target.value)}
                  />
                )}
              </Field>
              <Field id={`${uid}-goal`} label="Goal" hint="What to add, in a sentence or a brief, e.g. add OAuth login.">
                {(control) => (
                  <textarea
                    {...control}
                    data-testid="draft-goal"
                    rows={3}
                    value={goal}
                    onChange={(e) => setGoal(e.target.value)}
                  />
                )}
              </Field>
              <Field id={`${uid}-epic`} label="For epic">
                {(control) => (
                  <select {...control} data-testid="draft-epic" value={epic} onChange={(e) => setEpic(e.target.value)}>
                    <option value="">Any epic</option>
                    {epics.map((e) => (
                      <option key={e.id} value={e.id}>
                        {e.title === "" ? e.id : `${e.title} (${e.id})`}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </Fields>
            {phase === "busy" && startedAt !== null && (
              <div ref={busyRef} className={styles.busy} data-testid="draft-busy" tabIndex={-1}>
                <Spinner small />
                <p role="status">The agent is drafting the tasks… this can take a few minutes.</p>
                <Elapsed since={startedAt} />
              </div>
            )}
            {phase === "form" && (
              // Not a sticky footer: a refusal and an approval may follow the form.
              <FormActions>
                <button type="button" className="button" data-testid="draft-cancel" onClick={close}>
                  Cancel
                </button>
                <button ref={startRef} type="submit" className="button primary small" data-testid="draft-start" disabled={!canDraft}>
                  Draft
                </button>
              </FormActions>
            )}
          </Form>
        )}

        {refusal !== null && (
          <Refusal testId="draft-error" title={draftRefusalTitle(refusal.error.code, refusal.step)} error={refusal.error} />
        )}
        {phase === "form" && refusal?.step === "draft" && refusal.error.code === "command_not_approved" && (
          <DraftApproval projectId={projectId} onApproved={start} />
        )}

        {phase === "busy" && (
          <FormActions footer>
            <ActionsNote>Closing does not stop the agent; its draft is then discarded.</ActionsNote>
            <button type="button" className="button" data-testid="draft-cancel" onClick={close}>
              Close
            </button>
          </FormActions>
        )}

        {preview !== null && (
          <>
            <div ref={previewRef} className={styles.previewArea} role="region" tabIndex={-1} aria-label="The draft">
              <DraftPreviewPanel preview={preview} epics={epics} />
            </div>
            <FormActions footer>
              {valid && removed > 0 && (
                <span className={styles.warning} data-testid="draft-removes">
                  Accepting removes {removed === 1 ? "1 Backlog task" : `${removed} Backlog tasks`}.
                </span>
              )}
              {!valid && <ActionsNote>This draft cannot be accepted.</ActionsNote>}
              <button type="button" className="button" data-testid="draft-discard" onClick={close}>
                Discard
              </button>
              {valid && (
                <button
                  type="button"
                  className="button primary small"
                  data-testid="draft-accept"
                  aria-busy={accept.isPending || undefined}
                  onClick={acceptShown}
                >
                  {accept.isPending ? "Accepting…" : "Accept"}
                </button>
              )}
            </FormActions>
          </>
        )}
      </div>
    </Dialog>
  );
}

/** How long the agent has been drafting, in whole seconds (this alone renders each second). */
function Elapsed({ since }: { since: number }) {
  const seconds = elapsedSeconds(since, useNow());
  return (
    <p className={styles.elapsed} data-testid="draft-elapsed">
      {seconds} s
    </p>
  );
}

/** What the draft shown was asked from. */
function AskedLine({ asked, epics }: { asked: DraftRequest | null; epics: readonly Epic[] }) {
  if (asked === null) return null;
  const epic = asked.epic === null ? null : (epics.find((e) => e.id === asked.epic)?.title ?? asked.epic);
  return (
    <p className={styles.asked} data-testid="draft-asked" title={asked.goal ?? undefined}>
      Drafted from {asked.spec !== null && <code>{asked.spec}</code>}
      {asked.spec !== null && asked.goal !== null && " and "}
      {asked.goal !== null && <q>{asked.goal}</q>}
      {epic !== null && <> for the epic {epic}</>}.
    </p>
  );
}
