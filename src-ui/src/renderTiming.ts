// A probe for the board benchmark: the first time a selected project's board is shown, the time from its data
// arriving to the end of the first frame after React committed it (a task queued from that frame's animation
// callback runs once the frame was painted) lands on `window.__yokeflowRender` and in a
// `yokeflow-board-render` performance measure. A few numbers per project switch; nothing else runs.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef } from "react";
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

/** A board timing under way: when `get_board` answered, for which project (see `useBoardArrival`). */
export type BoardProbe = {
  /** Call when `get_board` answered. */
  arrived: (projectId: string) => void;
  /** When the board of `projectId` arrived, if it is the one waiting to be timed (it no longer waits then). */
  take: (projectId: string) => number | null;
};

/**
 * Times the first board shown for each newly selected project: call `arrived` of the returned probe when `get_board`
 * answered, then `useBoardShown` with the board committed. A reload of the same project is not timed.
 */
export function useBoardArrival(): BoardProbe {
  const pending = useRef<{ projectId: string; dataMs: number } | null>(null);
  const lastTimed = useRef<string | null>(null);
  const arrived = useCallback((projectId: string) => {
    if (lastTimed.current === projectId) return;
    lastTimed.current = projectId;
    performance.mark(BOARD_DATA_MARK);
    pending.current = { projectId, dataMs: performance.now() };
  }, []);
  const take = useCallback((projectId: string) => {
    const waiting = pending.current;
    if (waiting === null || waiting.projectId !== projectId) return null;
    pending.current = null;
    return waiting.dataMs;
  }, []);
  return useMemo(() => ({ arrived, take }), [arrived, take]);
}

/**
 * The timing of the probe is taken when `board` (the one committed) is the project that arrived and `shown` (the
 * board view is on screen); a board that arrived while another view was on is not timed.
 */
export function useBoardShown(probe: BoardProbe, board: Board | null, shown: boolean): void {
  const { take } = probe;
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
  useLayoutEffect(() => {
    if (board === null) return;
    const projectId = board.project.id;
    const dataMs = take(projectId);
    if (dataMs === null || !shown) return;
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
        recordBoardRender(projectId, cards, dataMs, committedAt);
      }, 0);
    });
  }, [board, shown, take]);
}
