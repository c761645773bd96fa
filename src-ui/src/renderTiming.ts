// A probe for the board benchmark: the first time a selected project's board is shown, the time from its data
// arriving to the end of the first frame after React committed it (a task queued from that frame's animation
// callback runs once the frame was painted) lands on `window.__yokeflowRender` and in a
// `yokeflow-board-render` performance measure. A few numbers per project switch; nothing else runs.
import { useCallback, useEffect, useLayoutEffect, useRef } from "react";
import type { Board } from "./bindings";

export type BoardRenderTiming = {
  projectId: string;
  cards: number;
  /** `performance.now()` when `get_board` answered. */
  dataMs: number;
  /** From `dataMs` to React having committed the board to the DOM (the app's own work). */
  commitMs: number;
  /** From `dataMs` to the end of the first frame painted after the board was committed. */
  paintMs: number;
  /** `performance.now()` then: the time since the page started loading. */
  shownMs: number;
};

declare global {
  interface Window {
    __yokeflowRender?: BoardRenderTiming;
  }
}

/** The measure (and the mark at the frame); it starts at the `yokeflow-board-data` mark. */
export const BOARD_RENDER_MEASURE = "yokeflow-board-render";
const BOARD_DATA_MARK = "yokeflow-board-data";
const BOARD_COMMIT_MARK = "yokeflow-board-commit";
const BOARD_FRAME_MARK = "yokeflow-board-frame";

/** Publishes one timing, now: on `window.__yokeflowRender`, as a mark and as a measure from the data's mark. */
function recordBoardRender(projectId: string, cards: number, dataMs: number, committedAt: number): void {
  const paintedAt = performance.now();
  window.__yokeflowRender = {
    projectId,
    cards,
    dataMs,
    commitMs: committedAt - dataMs,
    paintMs: paintedAt - dataMs,
    shownMs: paintedAt,
  };
  performance.mark(BOARD_RENDER_MEASURE);
  performance.measure(BOARD_RENDER_MEASURE, BOARD_DATA_MARK, BOARD_RENDER_MEASURE);
}

/**
 * Times the first board shown for each newly selected project. Call the returned `arrived` when `get_board`
 * answered; the timing is taken when `board` (the one committed) is that project's and `shown` (the board view
 * is on screen). A reload of the same project, or a board that arrived while another view was on, is not timed.
 */
export function useBoardRenderTiming(board: Board | null, shown: boolean): (projectId: string) => void {
  const pending = useRef<{ projectId: string; dataMs: number } | null>(null);
  const lastTimed = useRef<string | null>(null);
  // The frame and the task a timing waits for; dropped when the board view goes away (nothing runs after it).
  const scheduled = useRef<{ frame: number | null; task: ReturnType<typeof setTimeout> | null }>({ frame: null, task: null });
  useEffect(() => {
    const handles = scheduled.current;
    return () => {
      if (handles.frame !== null) cancelAnimationFrame(handles.frame);
      if (handles.task !== null) clearTimeout(handles.task);
      handles.frame = null;
      handles.task = null;
    };
  }, []);
  const arrived = useCallback((projectId: string) => {
    if (lastTimed.current === projectId) return;
    lastTimed.current = projectId;
    performance.mark(BOARD_DATA_MARK);
    pending.current = { projectId, dataMs: performance.now() };
  }, []);
  useLayoutEffect(() => {
    const waiting = pending.current;
    if (waiting === null || board === null || board.project.id !== waiting.projectId) return;
    pending.current = null;
    if (!shown) return;
    const cards = board.tasks.length;
    // Marks for where the time goes: React committed the board, then the next frame began.
    performance.mark(BOARD_COMMIT_MARK);
    const committedAt = performance.now();
    const handles = scheduled.current;
    handles.frame = requestAnimationFrame(() => {
      handles.frame = null;
      performance.mark(BOARD_FRAME_MARK);
      handles.task = setTimeout(() => {
        handles.task = null;
        recordBoardRender(waiting.projectId, cards, waiting.dataMs, committedAt);
      }, 0);
    });
  }, [board, shown]);
  return arrived;
}
