import { useCallback } from "react";
import { useAddProject, useCreateDemoProject } from "../queries";
import { useUiActions } from "../uiStore";

/** Creating the demo project and adding a repository; either selects the new project. */
export function useAddProjects() {
  const { chooseProject, pushError } = useUiActions();
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

  return { createDemo, creatingDemo, addRepository };
}
