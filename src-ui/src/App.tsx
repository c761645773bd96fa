// The window: the projects beside the selected one's view, the new-project dialog, the approval prompt and the
// toasts. The core's data comes through queries (queries.ts), a run's live view among them (the core's snapshots,
// followed by hooks/useEvents.ts with the events), the agents' output from the log store (liveRun.tsx), and what
// only the window knows from the UI store (uiStore.tsx). Needs a
// QueryClientProvider above it (main.tsx).
import { ApprovalPrompt } from "./components/ApprovalPrompt/ApprovalPrompt";
import { NewProjectDialog } from "./components/NewProjectDialog/NewProjectDialog";
import { NoProjectView } from "./components/NoProjectView/NoProjectView";
import { ProjectView } from "./components/ProjectView/ProjectView";
import { Sidebar } from "./components/Sidebar/Sidebar";
import { Toasts } from "./components/Toasts/Toasts";
import { useAddProjects } from "./hooks/useAddProjects";
import { useEvents } from "./hooks/useEvents";
import { useProjectSelection } from "./hooks/useProjectSelection";
import { useQueryErrorToasts } from "./hooks/useQueryErrorToasts";
import { LiveRunProvider } from "./liveRun";
import { useRefresh } from "./queries";
import { UiProvider, useUiActions, useUiState } from "./uiStore";

export function App() {
  return (
    <UiProvider>
      <LiveRunProvider>
        <Window />
      </LiveRunProvider>
    </UiProvider>
  );
}

function Window() {
  const projects = useProjectSelection();
  const { selectedId } = projects;
  useQueryErrorToasts();
  useEvents(selectedId);
  const refresh = useRefresh(selectedId);
  const { addRepository, projectCreated } = useAddProjects();
  const { toasts, newProject } = useUiState();
  const { dismissToast, openNewProject, closeNewProject } = useUiActions();
  return (
    <div className="app">
      <Sidebar
        projects={projects.list}
        failed={projects.failed}
        selectedId={selectedId}
        onSelect={projects.select}
        onAddRepository={addRepository}
        onNewProject={openNewProject}
      />
      {selectedId !== null ? (
        <ProjectView projectId={selectedId} summary={projects.selectedSummary} projectsBusy={projects.loading} />
      ) : (
        <NoProjectView projects={projects} onRefresh={refresh} />
      )}
      {newProject && <NewProjectDialog onClose={closeNewProject} onCreated={projectCreated} />}
      <ApprovalPrompt selectedId={selectedId} projects={projects.list} />
      <Toasts toasts={toasts} onDismiss={dismissToast} />
    </div>
  );
}
