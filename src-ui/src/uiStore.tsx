// The window's own state, which no command reads: the project chosen, the open log pane, the task form, the draft
// dialog, the new-project dialog, the view tab, the Sequential choice, the toasts and the approval prompt. A reducer in a context; the core's data is in queries.ts,
// a run's live view in its query entry (the core's snapshot), the agents' streaming output in liveRun.tsx.
import { createContext, useContext, useMemo, useReducer, type ReactNode } from "react";
import { toErrorDto } from "./api";
import type { ErrorDto, ProjectCommand } from "./bindings";
import type { Toast } from "./components/Toasts/Toasts";
import type { MainView } from "./components/ViewTabs/ViewTabs";

/** The most toasts on screen; a new one pushes the oldest out. */
export const MAX_TOASTS = 5;

export type UiState = {
  /** The project clicked last (or created, or added); see `useProjectSelection` for the one shown. */
  chosenId: string | null;
  /** The task whose log pane is open, in its project (the pane shows only while that project is selected). */
  openTask: { projectId: string; taskId: string } | null;
  /** The task form open, in its project: a new task (`taskId` null) or the task edited. */
  taskForm: { projectId: string; taskId: string | null } | null;
  /** The dialog drafting a project's tasks with its agent (Session 0), open in its project; `spec`: the app spec's
   * path it starts with (a project just created from it), else `null`. */
  draftDialog: { projectId: string; spec: string | null } | null;
  /** The dialog creating a project from an app spec is open. */
  newProject: boolean;
  view: MainView;
  /** The Sequential choice for the next run. */
  sequential: boolean;
  /** The budget for the next run as typed (US dollars; empty: no limit). */
  budget: string;
  /** The run whose report was dismissed (a run's report shows until it is dismissed or the next run starts). */
  dismissedReport: string | null;
  toasts: readonly Toast[];
  nextToastId: number;
  /** Commands of a project's tasks file waiting for a person's approval before a run may start. */
  approval: { projectId: string; commands: readonly ProjectCommand[] } | null;
};

export type UiAction =
  | { kind: "choose_project"; projectId: string }
  | { kind: "open_task"; projectId: string; taskId: string }
  | { kind: "close_task" }
  | { kind: "open_task_form"; projectId: string; taskId: string | null }
  | { kind: "close_task_form" }
  | { kind: "open_draft_dialog"; projectId: string; spec: string | null }
  | { kind: "close_draft_dialog" }
  | { kind: "open_new_project" }
  | { kind: "close_new_project" }
  | { kind: "set_view"; view: MainView }
  | { kind: "set_sequential"; sequential: boolean }
  | { kind: "set_budget"; budget: string }
  | { kind: "dismiss_report"; runId: string }
  | { kind: "push_error"; error: ErrorDto }
  | { kind: "push_info"; message: string }
  | { kind: "dismiss_toast"; id: number }
  | { kind: "ask_approval"; projectId: string; commands: readonly ProjectCommand[] }
  | { kind: "close_approval" };

export const initialUiState: UiState = {
  chosenId: null,
  openTask: null,
  taskForm: null,
  draftDialog: null,
  newProject: false,
  view: "board",
  sequential: false,
  budget: "",
  dismissedReport: null,
  toasts: [],
  nextToastId: 1,
  approval: null,
};

/** The code an info toast shows (it reports something done, not an error). */
export const INFO_CODE = "info";

function withToast(state: UiState, toast: Toast): UiState {
  return { ...state, toasts: [...state.toasts.slice(-(MAX_TOASTS - 1)), toast], nextToastId: state.nextToastId + 1 };
}

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.kind) {
    case "choose_project":
      return state.chosenId === action.projectId ? state : { ...state, chosenId: action.projectId };
    case "open_task":
      return { ...state, openTask: { projectId: action.projectId, taskId: action.taskId } };
    case "close_task":
      return state.openTask === null ? state : { ...state, openTask: null };
    case "open_task_form":
      return { ...state, taskForm: { projectId: action.projectId, taskId: action.taskId } };
    case "close_task_form":
      return state.taskForm === null ? state : { ...state, taskForm: null };
    case "open_draft_dialog":
      return state.draftDialog?.projectId === action.projectId && state.draftDialog.spec === action.spec
        ? state
        : { ...state, draftDialog: { projectId: action.projectId, spec: action.spec } };
    case "close_draft_dialog":
      return state.draftDialog === null ? state : { ...state, draftDialog: null };
    case "open_new_project":
      return state.newProject ? state : { ...state, newProject: true };
    case "close_new_project":
      return state.newProject ? { ...state, newProject: false } : state;
    case "set_view":
      return state.view === action.view ? state : { ...state, view: action.view };
    case "set_sequential":
      return state.sequential === action.sequential ? state : { ...state, sequential: action.sequential };
    case "set_budget":
      return state.budget === action.budget ? state : { ...state, budget: action.budget };
    case "dismiss_report":
      return state.dismissedReport === action.runId ? state : { ...state, dismissedReport: action.runId };
    case "push_error":
      return withToast(state, { id: state.nextToastId, tone: "error", error: action.error });
    case "push_info":
      return withToast(state, { id: state.nextToastId, tone: "info", error: { code: INFO_CODE, message: action.message } });
    case "dismiss_toast":
      return { ...state, toasts: state.toasts.filter((toast) => toast.id !== action.id) };
    case "ask_approval":
      return { ...state, approval: { projectId: action.projectId, commands: action.commands } };
    case "close_approval":
      return state.approval === null ? state : { ...state, approval: null };
  }
}

export type UiActions = {
  chooseProject: (projectId: string) => void;
  openTask: (projectId: string, taskId: string) => void;
  closeTask: () => void;
  /** Opens the task form on a new task (`taskId` null) or on the task to edit. */
  openTaskForm: (projectId: string, taskId: string | null) => void;
  closeTaskForm: () => void;
  /** Opens the dialog that drafts the project's tasks with its agent, its spec field holding `spec` if given. */
  openDraftDialog: (projectId: string, spec?: string) => void;
  closeDraftDialog: () => void;
  /** Opens the dialog that creates a project from an app spec. */
  openNewProject: () => void;
  closeNewProject: () => void;
  setView: (view: MainView) => void;
  setSequential: (sequential: boolean) => void;
  setBudget: (budget: string) => void;
  /** Hides the report of run `runId`. */
  dismissReport: (runId: string) => void;
  /** Shows anything a command rejected with (or an `ErrorDto`) as a toast. */
  pushError: (reason: unknown) => void;
  /** Says something happened that the person did not do here (a toast that is no error). */
  pushInfo: (message: string) => void;
  dismissToast: (id: number) => void;
  askApproval: (projectId: string, commands: readonly ProjectCommand[]) => void;
  closeApproval: () => void;
};

const StateContext = createContext<UiState | null>(null);
const ActionsContext = createContext<UiActions | null>(null);

export function UiProvider({ children, initial = initialUiState }: { children: ReactNode; initial?: UiState }) {
  const [state, dispatch] = useReducer(uiReducer, initial);
  const actions = useMemo<UiActions>(
    () => ({
      chooseProject: (projectId) => dispatch({ kind: "choose_project", projectId }),
      openTask: (projectId, taskId) => dispatch({ kind: "open_task", projectId, taskId }),
      closeTask: () => dispatch({ kind: "close_task" }),
      openTaskForm: (projectId, taskId) => dispatch({ kind: "open_task_form", projectId, taskId }),
      closeTaskForm: () => dispatch({ kind: "close_task_form" }),
      openDraftDialog: (projectId, spec) => dispatch({ kind: "open_draft_dialog", projectId, spec: spec ?? null }),
      closeDraftDialog: () => dispatch({ kind: "close_draft_dialog" }),
      openNewProject: () => dispatch({ kind: "open_new_project" }),
      closeNewProject: () => dispatch({ kind: "close_new_project" }),
      setView: (view) => dispatch({ kind: "set_view", view }),
      setSequential: (sequential) => dispatch({ kind: "set_sequential", sequential }),
      setBudget: (budget) => dispatch({ kind: "set_budget", budget }),
      dismissReport: (runId) => dispatch({ kind: "dismiss_report", runId }),
      pushError: (reason) => dispatch({ kind: "push_error", error: toErrorDto(reason) }),
      pushInfo: (message) => dispatch({ kind: "push_info", message }),
      dismissToast: (id) => dispatch({ kind: "dismiss_toast", id }),
      askApproval: (projectId, commands) => dispatch({ kind: "ask_approval", projectId, commands }),
      closeApproval: () => dispatch({ kind: "close_approval" }),
    }),
    [],
  );
  return (
    <ActionsContext value={actions}>
      <StateContext value={state}>{children}</StateContext>
    </ActionsContext>
  );
}

export function useUiState(): UiState {
  const state = useContext(StateContext);
  if (state === null) throw new Error("useUiState outside a UiProvider");
  return state;
}

/** The store's actions; stable for the provider's life. */
export function useUiActions(): UiActions {
  const actions = useContext(ActionsContext);
  if (actions === null) throw new Error("useUiActions outside a UiProvider");
  return actions;
}
