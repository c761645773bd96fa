// One shared one-second tick for the live timers of running cards. It runs only while a timer is shown, and
// only the components reading it render again on each tick.
import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const notify of listeners) notify();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

function snapshot(): number {
  return now;
}

/** The wall-clock time (ms), updated once a second while the calling component is mounted. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, snapshot);
}
