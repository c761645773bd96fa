import type { ReactNode } from "react";
import { Field } from "../Field/Field";

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
  onChange: (value: string) => void;
};

/** A command (one argument per line, never a shell string) or a list of patterns (one per line). */
export function LinesField({ id, label, testId, hint, issues, issuesTestId, value, rows = 3, onChange }: Props) {
  return (
    <Field id={id} label={label} look="lines" hint={hint} issues={issues} issuesTestId={issuesTestId}>
      {(control) => (
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
      )}
    </Field>
  );
}
