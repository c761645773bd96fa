import { useId, type ReactNode } from "react";
import styles from "./ExpertiseView.module.css";

type Props = {
  title: string;
  /** How many items it holds, after its title. */
  count: number;
  testId: string;
  /** A line under the title. */
  hint?: string;
  children: ReactNode;
};

/** One part of the Expertise tab: its title with a count, an optional hint, then its content. */
export function ExpertiseSection({ title, count, testId, hint, children }: Props) {
  const headingId = useId();
  return (
    <section className={styles.section} data-testid={testId} aria-labelledby={headingId}>
      <h3 id={headingId} className={styles.sectionHeading}>
        {title} <span className={styles.count}>{count}</span>
      </h3>
      {hint !== undefined && <p className={styles.hint}>{hint}</p>}
      {children}
    </section>
  );
}
