// The agents' output as it streams (`LogStore`), for the whole window. The run itself is no state of the window's:
// it is the core's snapshot in one query entry (queries.ts, `useRunQuery`), kept current by the core's sends.
import { createContext, useContext, useState, type ReactNode } from "react";
import { LogStore } from "./runStore";

const LogsContext = createContext<LogStore | null>(null);

export function LiveRunProvider({ children }: { children: ReactNode }) {
  const [logs] = useState(() => new LogStore());
  return <LogsContext value={logs}>{children}</LogsContext>;
}

/** The log store; stable for the provider's life. */
export function useLogs(): LogStore {
  const logs = useContext(LogsContext);
  if (logs === null) throw new Error("useLogs outside a LiveRunProvider");
  return logs;
}
