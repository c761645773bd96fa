import type { ReactNode } from "react";
import { Field } from "../Field/Field";
import styles from "./SettingsPanel.module.css";

type Props = {
  id: string;
  label: string;
  testId: string;
  hint: ReactNode;
  /** What is wrong with it, and the test id they are shown under (the setting's key). */
  issues: readonly string[];
  issuesTestId: string;
  /** One argument (or pattern) per line. */
  value: string;
  rows?: number;
  /** For a command typed as one line: the arguments it is split into, shown under it. */
  split?: readonly string[] | null;
  onChange: (value: string) => void;
};

/** A command (one argument per line, never a shell string) or a list of patterns (one per line). */
export function LinesField({ id, label, testId, hint, issues, issuesTestId, value, rows = 3, split = null, onChange }: Props) {
  return (
    <Field id={id} label={label} look="lines" hint={hint} issues={issues} issuesTestId={issuesTestId}>
      {(control) => (
        <>
        <textarea
          {...control}
          data-testid={testId}
          rows={rows}
          spellCheck={false}
          autoComplete="off"
          wrap="off"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
        {split !== null && (
          <p className={styles.split} data-testid={`${testId}-split`}>
            Runs{" "}
            {split.map((arg, i) => (
              <code key={i}>{arg}</code>
            ))}{" "}
            (no shell: one argument per box)
          </p>
        )}
        </>
      )}
    </Field>
  );
}
