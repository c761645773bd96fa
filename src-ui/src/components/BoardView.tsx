import { useMemo } from "react";
import type { Board } from "../bindings";
import { COLUMNS, epicsById, groupByStatus } from "../board";
import { Column } from "./Column";

type Props = {
  board: Board;
  /** Worker slot (0-based) of each running task. */
  slots?: Readonly<Record<string, number>>;
  /** The task whose log pane is open. */
  selectedTaskId?: string | null;
  onOpenTask?: (taskId: string) => void;
};

const NO_SLOTS: Readonly<Record<string, number>> = {};

/** The four columns of one project's board. Read-only for now; drag and drop comes later (@dnd-kit). */
export function BoardView({ board, slots = NO_SLOTS, selectedTaskId = null, onOpenTask }: Props) {
  const groups = useMemo(() => groupByStatus(board.tasks), [board.tasks]);
  const epics = useMemo(() => epicsById(board.epics), [board.epics]);
  const selectedStatus = useMemo(
    () => (selectedTaskId === null ? null : (board.tasks.find((task) => task.id === selectedTaskId)?.status ?? null)),
    [board.tasks, selectedTaskId],
  );
  return (
    <div className="board" data-testid="board">
      {COLUMNS.map(({ status, label }) => (
        <Column
          key={status}
          status={status}
          label={label}
          tasks={groups[status]}
          epics={epics}
          slots={status === "in_progress" ? slots : NO_SLOTS}
          selectedTaskId={status === selectedStatus ? selectedTaskId : null}
          onOpenTask={onOpenTask}
        />
      ))}
    </div>
  );
}
