// Drag and drop shared by the board (cards between columns) and the worktree lanes (plan chips between lanes):
// the sensors, a keyboard step that jumps straight to the neighbouring drop target, collision detection, what a
// drop means and what a screen reader hears.
import {
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  rectIntersection,
  useSensor,
  useSensors,
  type Active,
  type Announcements,
  type ClientRect,
  type CollisionDetection,
  type KeyboardCoordinateGetter,
  type KeyboardSensorOptions,
  type Over,
  type PointerSensorOptions,
  type ScreenReaderInstructions,
  type UniqueIdentifier,
} from "@dnd-kit/core";

/** The axis the drop targets are lined up on: columns side by side (`x`), lanes one above the other (`y`). */
export type Axis = "x" | "y";

/** A drop target's id and measured rectangle. */
export type DropTarget = { id: UniqueIdentifier; rect: ClientRect };

/** A point, or a rectangle's top-left, in viewport pixels. */
export type Coordinates = { x: number; y: number };

/** What a draggable carries: how to name it, and the drop target (id and name) it sits in. */
export type DragItem = { label: string; home: string; homeLabel: string };

/** What a drop target carries: how to name it. */
export type DropZone = { label: string };

function center(rect: ClientRect): Coordinates {
  return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
}

/** +1 for the key that goes forward on `axis`, -1 for the one that goes back, 0 for any other key. */
export function arrowStep(code: string, axis: Axis): -1 | 0 | 1 {
  if (code === (axis === "x" ? "ArrowRight" : "ArrowDown")) return 1;
  if (code === (axis === "x" ? "ArrowLeft" : "ArrowUp")) return -1;
  return 0;
}

/**
 * Where the dragged rectangle (its top-left) goes to sit centred on the target next to `currentId` in the
 * direction `step`; undefined at either end. Without a current target, the next target past the dragged
 * rectangle's centre is taken.
 */
export function jumpTo(
  targets: readonly DropTarget[],
  currentId: UniqueIdentifier | null,
  dragged: ClientRect,
  axis: Axis,
  step: -1 | 1,
): Coordinates | undefined {
  const ordered = [...targets].sort((a, b) => center(a.rect)[axis] - center(b.rect)[axis]);
  const index = currentId === null ? -1 : ordered.findIndex((target) => target.id === currentId);
  let target: DropTarget | undefined;
  if (index >= 0) {
    target = ordered[index + step];
  } else {
    const from = center(dragged)[axis];
    const beyond = ordered.filter((candidate) => (center(candidate.rect)[axis] - from) * step > 0);
    target = step > 0 ? beyond[0] : beyond[beyond.length - 1];
  }
  if (target === undefined) return undefined;
  const middle = center(target.rect);
  return { x: middle.x - dragged.width / 2, y: middle.y - dragged.height / 2 };
}

/** The keyboard sensor's step: the arrows of `axis` jump from one drop target to the next. */
export function jumpCoordinates(axis: Axis): KeyboardCoordinateGetter {
  return (event, { context }) => {
    const step = arrowStep(event.code, axis);
    const dragged = context.collisionRect;
    if (step === 0 || dragged === null) return undefined;
    const targets: DropTarget[] = [];
    for (const container of context.droppableContainers.getEnabled()) {
      const rect = context.droppableRects.get(container.id);
      if (rect !== undefined) targets.push({ id: container.id, rect });
    }
    return jumpTo(targets, context.over?.id ?? null, dragged, axis, step);
  };
}

/** The target under the pointer; for the keyboard (no pointer) the one the dragged rectangle covers most. */
export const dropCollision: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  return hits.length > 0 ? hits : rectIntersection(args);
};

// Stable options, so `useSensor` keeps its descriptors between renders.
const POINTER: PointerSensorOptions = { activationConstraint: { distance: 5 } };
const KEYBOARD: Record<Axis, KeyboardSensorOptions> = {
  x: { coordinateGetter: jumpCoordinates("x") },
  y: { coordinateGetter: jumpCoordinates("y") },
};

/** A pointer drag starts after 5 px (so a click stays a click); Space or Enter picks up and drops from the keyboard. */
export function useDragSensors(axis: Axis) {
  return useSensors(useSensor(PointerSensor, POINTER), useSensor(KeyboardSensor, KEYBOARD[axis]));
}

function itemOf(active: Pick<Active, "id" | "data">): DragItem {
  const data = active.data.current as Partial<DragItem> | undefined;
  const label = data?.label ?? String(active.id);
  return { label, home: data?.home ?? "", homeLabel: data?.homeLabel ?? "its place" };
}

function zoneLabel(over: Pick<Over, "id" | "data">): string {
  return (over.data.current as Partial<DropZone> | undefined)?.label ?? String(over.id);
}

/** The drop target a drop moves the item to: null when dropped outside any target or back where it was. */
export function dropDestination(active: Pick<Active, "id" | "data">, over: Pick<Over, "id"> | null): string | null {
  if (over === null) return null;
  const to = String(over.id);
  return to === itemOf(active).home ? null : to;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a screen reader hears while an item is dragged (`place` names the kind of target: "column", "worktree"). */
export function dragAnnouncements(place: string): Announcements {
  return {
    onDragStart: ({ active }) => `Picked up ${itemOf(active).label}, in ${itemOf(active).homeLabel}.`,
    onDragOver: ({ active, over }) =>
      over === null
        ? `${capitalized(itemOf(active).label)} is no longer over a ${place}.`
        : `${capitalized(itemOf(active).label)} is over ${zoneLabel(over)}.`,
    onDragEnd: ({ active, over }) => {
      const item = itemOf(active);
      if (over === null) return `${capitalized(item.label)} was dropped outside any ${place}; it stays in ${item.homeLabel}.`;
      if (dropDestination(active, over) === null) return `${capitalized(item.label)} was dropped back in ${item.homeLabel}.`;
      return `Moved ${item.label} to ${zoneLabel(over)}.`;
    },
    onDragCancel: ({ active }) => `Cancelled. ${capitalized(itemOf(active).label)} stays in ${itemOf(active).homeLabel}.`,
  };
}

/** The hint read out on a focused draggable. */
export function dragInstructions(keys: string, place: string): ScreenReaderInstructions {
  return {
    draggable: `To move it, press Space or Enter, then ${keys} to choose a ${place}, Space or Enter to drop it, or Escape to cancel.`,
  };
}
