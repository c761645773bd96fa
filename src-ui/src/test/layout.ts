// A stand-in layout for jsdom, which measures every element as an empty rectangle at 0,0: drop targets and
// draggables get real-looking rectangles, so dnd-kit's sensors and collision detection work in tests.
import { vi } from "vitest";

export type Rect = { left: number; top: number; width: number; height: number };

function domRect({ left, top, width, height }: Rect): DOMRect {
  const rect = { x: left, y: top, left, top, width, height, right: left + width, bottom: top + height };
  return { ...rect, toJSON: () => rect };
}

/**
 * Measures elements with `layout` (null: an empty rectangle). dnd-kit's drag overlay (a fixed element placed by
 * its inline style) and what it holds are measured from that style.
 */
export function installLayout(layout: (element: Element) => Rect | null): void {
  vi.spyOn(Element.prototype, "getBoundingClientRect").mockImplementation(function (this: Element) {
    const overlay = this.closest<HTMLElement>('[style*="position: fixed"]');
    if (overlay !== null) {
      const style = overlay.style;
      return domRect({
        left: parseFloat(style.left),
        top: parseFloat(style.top),
        width: parseFloat(style.width),
        height: parseFloat(style.height),
      });
    }
    return domRect(layout(this) ?? { left: 0, top: 0, width: 0, height: 0 });
  });
}

const COLUMN_ORDER = ["backlog", "in_progress", "review", "done"];

/** The board as four 240 px columns side by side, each card a 60 px row in its column. */
export function boardLayout(element: Element): Rect | null {
  const column = element.closest<HTMLElement>('[data-testid^="column-"]');
  if (column === null) return null;
  const index = COLUMN_ORDER.indexOf(column.dataset.testid!.slice("column-".length));
  const left = 10 + index * 250;
  if (element === column) return { left, top: 10, width: 240, height: 700 };
  if (element.getAttribute("data-testid") !== "task-card") return null;
  const row = Array.from(column.querySelectorAll('[data-testid="task-card"]')).indexOf(element);
  return { left: left + 10, top: 50 + row * 70, width: 220, height: 60 };
}

/** The lanes as 100 px rows one above the other, each chip a small box in its lane. */
export function lanesLayout(element: Element): Rect | null {
  const lane = element.closest<HTMLElement>('[data-testid="lane"]');
  if (lane === null) return null;
  const top = 10 + Number(lane.dataset.slot) * 110;
  if (element === lane) return { left: 10, top, width: 900, height: 100 };
  if (element.getAttribute("data-testid") !== "lane-chip") return null;
  const index = Array.from(lane.querySelectorAll('[data-testid="lane-chip"]')).indexOf(element);
  return { left: 600 + index * 50, top: top + 40, width: 40, height: 20 };
}
