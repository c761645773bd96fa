import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
// The global sheet (tokens, resets, app shell, shared primitives) comes before every component's module.
import "./styles/global.css";
import { App } from "./App";
import { createQueryClient } from "./queries";

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");

const queryClient = createQueryClient();

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
