import { useLayoutEffect, useState } from "react";

/**
 * The inner width of an element (its client width: without a scrollbar), measured before the first paint and
 * followed as it changes; null before it is measured and where it measures 0 (jsdom). Pass the returned callback
 * as the element's `ref`.
 */
export function useElementWidth<T extends HTMLElement>(): [number | null, (node: T | null) => void] {
  const [node, setNode] = useState<T | null>(null);
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    if (node === null) return;
    const measure = () => {
      if (node.clientWidth > 0) setWidth(node.clientWidth);
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, [node]);
  return [width, setNode];
}
