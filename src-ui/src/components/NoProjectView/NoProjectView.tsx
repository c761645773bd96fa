import { useAddProjects } from "../../hooks/useAddProjects";
import type { ProjectSelection } from "../../hooks/useProjectSelection";
import { EmptyState } from "../EmptyState/EmptyState";
import { ErrorPanel } from "../ErrorPanel/ErrorPanel";
import { Loading } from "../Loading/Loading";
import { MainPanel } from "../MainPanel/MainPanel";

type Props = { projects: ProjectSelection; onRefresh: () => void };

/** The main column while no project is selected: the list loading, why it failed, or the demo on offer. */
export function NoProjectView({ projects, onRefresh }: Props) {
  const { createDemo, creatingDemo } = useAddProjects();
  let content;
  if (projects.list !== null) {
    content = <EmptyState creating={creatingDemo} onCreateDemo={createDemo} />;
  } else if (projects.error !== null && !projects.loading) {
    content = <ErrorPanel title="Couldn't load your projects" error={projects.error} onRetry={onRefresh} />;
  } else {
    content = <Loading label="Loading projects…" />;
  }
  return (
    <MainPanel project={null} busy={projects.loading} onRefresh={onRefresh}>
      {content}
    </MainPanel>
  );
}
