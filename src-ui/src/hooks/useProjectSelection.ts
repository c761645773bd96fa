import type { ErrorDto, ProjectSummary } from "../bindings";
import { useProjectsQuery } from "../queries";
import { useUiActions, useUiState } from "../uiStore";

export type ProjectSelection = {
  /** `null` until the first list arrives; a failed reload keeps the last good list. */
  list: ProjectSummary[] | null;
  /** The list is being read (first load or reload). */
  loading: boolean;
  /** The last read of the list failed (and none is under way). */
  failed: boolean;
  /** Why the last read failed, until one succeeds. */
  error: ErrorDto | null;
  /** The project shown: the one chosen last while it is listed (or while the list reloads), else the first. */
  selectedId: string | null;
  selectedSummary: ProjectSummary | undefined;
  select: (projectId: string) => void;
};

/** The projects (a query) and which one is selected (the UI store's choice, checked against the list). */
export function useProjectSelection(): ProjectSelection {
  const projects = useProjectsQuery();
  const { chosenId } = useUiState();
  const { chooseProject } = useUiActions();
  const list = projects.data ?? null;
  const loading = projects.isFetching;
  // A choice that vanished from a fresh list falls back to the first project.
  const chosenListed = chosenId !== null && (list?.some((s) => s.project.id === chosenId) ?? false);
  const selectedId = chosenId !== null && (chosenListed || loading) ? chosenId : (list?.[0]?.project.id ?? null);
  return {
    list,
    loading,
    failed: projects.error !== null && !loading,
    error: projects.error,
    selectedId,
    selectedSummary: list?.find((s) => s.project.id === selectedId),
    select: chooseProject,
  };
}
