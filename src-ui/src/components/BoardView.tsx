import { useMemo } from "react";
import type { Board } from "../bindings";
import { COLUMNS, epicsById, groupByStatus } from "../board";
import { Column } from "./Column";

/** The four columns of one project's board. Read-only for now; drag and drop comes later (@dnd-kit). */
export function BoardView({ board }: { board: Board }) {
  const groups = useMemo(() => groupByStatus(board.tasks), [board.tasks]);
  const epics = useMemo(() => epicsById(board.epics), [board.epics]);
  return (
    <div className="board" data-testid="board">
      {COLUMNS.map(({ status, label }) => (
        <Column key={status} status={status} label={label} tasks={groups[status]} epics={epics} />
      ))}
    </div>
  );
}
