// Rendering with what the app's components need around them: a fresh QueryClient per render (configured as the
// window's, so tests are deterministic: no retries, no refetch on focus), and for views below App, the UI store
// and the log store.
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { render, type RenderOptions, type RenderResult } from "@testing-library/react";
import type { ReactElement, ReactNode } from "react";
import { LiveRunProvider } from "../liveRun";
import { createQueryClient } from "../queries";
import { UiProvider, type UiState } from "../uiStore";

export type RenderWithClientResult = RenderResult & { client: QueryClient };

/** Renders `ui` under a QueryClientProvider with a client of its own (returned as `client`). */
export function renderWithClient(ui: ReactElement, options: Omit<RenderOptions, "wrapper"> = {}): RenderWithClientResult {
  const client = createQueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return { ...render(ui, { ...options, wrapper }), client };
}

/** Renders a view that lives below App: a QueryClient, the UI store (starting from `ui`) and the log store. */
export function renderWithStores(view: ReactElement, ui?: UiState): RenderWithClientResult {
  return renderWithClient(
    <UiProvider initial={ui}>
      <LiveRunProvider>{view}</LiveRunProvider>
    </UiProvider>,
  );
}
