import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useUiActions } from "../uiStore";

/**
 * Every read that fails (projects, a board, a plan, a run's state) shows why in a toast, once per failure; but for
 * the reads whose caller shows their failure itself (`meta: { toast: false }`, a form's check).
 */
export function useQueryErrorToasts(): void {
  const client = useQueryClient();
  const { pushError } = useUiActions();
  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type !== "updated" || event.action.type !== "error") return;
        if (event.query.meta?.toast === false) return;
        pushError(event.action.error);
      }),
    [client, pushError],
  );
}
