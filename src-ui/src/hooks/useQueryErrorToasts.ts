import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useUiActions } from "../uiStore";

/** Every read that fails (projects, a board, a plan, a run's state) shows why in a toast, once per failure. */
export function useQueryErrorToasts(): void {
  const client = useQueryClient();
  const { pushError } = useUiActions();
  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type === "updated" && event.action.type === "error") pushError(event.action.error);
      }),
    [client, pushError],
  );
}
