import { cx } from "../../classNames";
import styles from "./Spinner.module.css";

/** Something under way; `small` in a line of text (the agent drafting). Hidden from assistive technology: a status says it. */
export function Spinner({ small = false }: { small?: boolean }) {
  return <span className={cx(styles.spinner, small && styles.small)} aria-hidden="true" />;
}
