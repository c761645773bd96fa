import type { ReactNode } from "react";
import { cx } from "../../classNames";
import { FieldIssues } from "../FieldIssues/FieldIssues";
import styles from "./Field.module.css";

/** How a control looks: prose or a number (`text`), a path (`path`, monospace), one argument or pattern per line (`lines`). */
export type ControlLook = "text" | "path" | "lines";

/** What a field's control gets from its field: its id and look, and the hint and issues that describe it. */
export type FieldControl = {
  id: string;
  className: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
};

const LOOK: Record<ControlLook, string | undefined> = { text: styles.text, path: styles.path, lines: styles.lines };

/** The class of a form's control (an input, a textarea or a select), for one outside a Field. */
export function controlClass(look: ControlLook = "text"): string {
  return cx(styles.control, LOOK[look]);
}

type Props = {
  /** The control's id (its label points at it); its hint is `<id>-hint`, its issues `<id>-issues`. */
  id: string;
  label: string;
  hint?: ReactNode;
  look?: ControlLook;
  /** Beside the control (a button, a note). */
  aside?: ReactNode;
  /** The control, given its id, its look and what describes it. */
  children: (control: FieldControl) => ReactNode;
} & (
  | {
      /** What is wrong with it (the core's and the form's). */
      issues: readonly string[];
      issuesTestId: string;
    }
  | { issues?: undefined; issuesTestId?: undefined }
);

/** A form's field: its label, its control, a hint, and its issues under it. */
export function Field({ id, label, hint, look, aside, issues, issuesTestId, children }: Props) {
  const hintId = `${id}-hint`;
  const issuesId = `${id}-issues`;
  const invalid = issues !== undefined && issues.length > 0;
  const described = [hint === undefined ? null : hintId, invalid ? issuesId : null].filter((x) => x !== null);
  const control = children({
    id,
    className: controlClass(look),
    "aria-invalid": invalid || undefined,
    "aria-describedby": described.length > 0 ? described.join(" ") : undefined,
  });
  return (
    <div className={styles.field}>
      <label htmlFor={id} className={styles.label}>
        {label}
      </label>
      {aside === undefined ? (
        control
      ) : (
        <div className={styles.row}>
          {control}
          {aside}
        </div>
      )}
      {hint !== undefined && (
        <p id={hintId} className={styles.hint}>
          {hint}
        </p>
      )}
      {issues !== undefined && <FieldIssues id={issuesId} testId={issuesTestId} messages={issues} />}
    </div>
  );
}

/** A form's fields, disabled together (while the form's work is under way). */
export function Fields({ disabled, children }: { disabled: boolean; children: ReactNode }) {
  return (
    <fieldset className={styles.fields} disabled={disabled}>
      {children}
    </fieldset>
  );
}
