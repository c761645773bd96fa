import type { ReactNode } from "react";
import { cx } from "../../classNames";
import styles from "./FormActions.module.css";

type Props = {
  /** Its place in the dialog (a margin), when not in a column with a gap. */
  className?: string;
  /** The foot of a dialog: kept in view at the dialog's bottom edge while what is above it scrolls. */
  footer?: boolean;
  children: ReactNode;
};

/** A form's or a dialog's actions: its buttons on the right, a note (ActionsNote) or a status before them. */
export function FormActions({ className, footer = false, children }: Props) {
  return (
    <div className={cx(styles.actions, footer && styles.footer, className)} data-footer={footer || undefined}>
      {children}
    </div>
  );
}

/** What the keys do, or why an action is not offered: on the left of the actions. */
export function ActionsNote({ children }: { children: ReactNode }) {
  return <span className={styles.note}>{children}</span>;
}
