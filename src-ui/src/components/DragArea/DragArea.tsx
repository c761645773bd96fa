// One drag-and-drop area (the board's columns, or the worktree lanes): dnd-kit's context with YokeFlow's sensors,
// collision detection and announcements, and the preview of the item being dragged. Nothing moves on a drop: the
// caller hears `onDrop(id, destination)` for a drop on another target, and the view changes once the core has
// stored the move.
import { DndContext, DragOverlay, type Announcements, type DragEndEvent, type DragStartEvent, type ScreenReaderInstructions } from "@dnd-kit/core";
import { useCallback, useState, type ReactNode } from "react";
import { dropCollision, dropDestination, useDragSensors, type Axis } from "../../dragDrop";

type Props = {
  /** Along which axis the keyboard's arrows step between drop targets. */
  axis: Axis;
  accessibility: { announcements: Announcements; screenReaderInstructions: ScreenReaderInstructions };
  onDrop: (id: string, destination: string) => void;
  /** The item being dragged changed (null: the drag ended or was cancelled). */
  onDragChange?: ((draggedId: string | null) => void) | undefined;
  /** What to show under the pointer while `draggedId` is dragged (null: nothing). */
  preview: (draggedId: string) => ReactNode;
  children: ReactNode;
};

export function DragArea({ axis, accessibility, onDrop, onDragChange, preview, children }: Props) {
  const sensors = useDragSensors(axis);
  const [draggedId, setDragged] = useState<string | null>(null);
  const setDraggedId = useCallback(
    (id: string | null) => {
      setDragged(id);
      onDragChange?.(id);
    },
    [onDragChange],
  );
  const dragStart = useCallback((event: DragStartEvent) => setDraggedId(String(event.active.id)), [setDraggedId]);
  const dragEnd = useCallback(
    ({ active, over }: DragEndEvent) => {
      setDraggedId(null);
      const to = dropDestination(active, over);
      if (to !== null) onDrop(String(active.id), to);
    },
    [onDrop, setDraggedId],
  );
  const dragCancel = useCallback(() => setDraggedId(null), [setDraggedId]);
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={dropCollision}
      accessibility={accessibility}
      onDragStart={dragStart}
      onDragEnd={dragEnd}
      onDragCancel={dragCancel}
    >
      {children}
      {/* No drop animation: the item would fly back to where it was before the answer moves it. */}
      <DragOverlay dropAnimation={null}>{draggedId === null ? null : preview(draggedId)}</DragOverlay>
    </DndContext>
  );
}
