import styles from "./PinMark.module.css";
/** The mark of a task pinned to its worktree by hand (an icon; its name is read out, it adds no text). */
export function PinMark() {
  return (
    <svg className={styles.pinMark} data-testid="pin-mark" viewBox="0 0 16 16" width="11" height="11" role="img" aria-label="pinned">
      <path d="M9.8 1.2 14.8 6.2 13.4 7.6 12.7 6.9 9.9 9.7 10.3 13 9 14.3 6.2 11.5 2.6 15.1 1.5 15.1 1.5 14 5.1 10.4 2.3 7.6 3.6 6.3 6.9 6.7 9.7 3.9 9 3.2Z" />
    </svg>
  );
}
