import { useCallback } from "react";
import type { InitReport } from "../bindings";
import { describeInit } from "../newProject";
import { useAddProject, useCreateDemoProject } from "../queries";
import { useUiActions } from "../uiStore";

/**
 * Creating the demo project, adding a repository, and a project created from an app spec; each selects the new
 * project.
 */
export function useAddProjects() {
  const { chooseProject, pushError, pushInfo, closeNewProject, openDraftDialog } = useUiActions();
  const { mutateAsync: create, isPending: creatingDemo } = useCreateDemoProject();
  const { mutateAsync: add } = useAddProject();

  const createDemo = useCallback(() => {
    create().then((project) => chooseProject(project.id), pushError);
  }, [create, chooseProject, pushError]);

  /** Resolves when added (the new project is selected), rejects after showing why. */
  const addRepository = useCallback(
    (path: string) =>
      add(path).then(
        (added) => {
          chooseProject(added.project.id);
          const warning = added.imported?.plan_warning;
          if (warning != null) pushError({ code: "warning", message: warning });
        },
        (reason: unknown) => {
          pushError(reason);
          return Promise.reject(reason);
        },
      ),
    [add, chooseProject, pushError],
  );

  /**
   * A project was created from the app spec at `spec` (the new-project dialog did it): the dialog closes, the project
   * is selected, what init did is said, and its Draft tasks dialog opens on that spec.
   */
  const projectCreated = useCallback(
    (report: InitReport, spec: string) => {
      closeNewProject();
      chooseProject(report.project_id);
      pushInfo(describeInit(report));
      openDraftDialog(report.project_id, spec);
    },
    [closeNewProject, chooseProject, pushInfo, openDraftDialog],
  );

  return { createDemo, creatingDemo, addRepository, projectCreated };
}
