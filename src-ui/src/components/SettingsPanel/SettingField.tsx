import type { ReactNode } from "react";
import type { SettingKey } from "../../settings";
import { FieldIssues } from "../FieldIssues/FieldIssues";
import styles from "./SettingsPanel.module.css";

/** What a field's control gets from its field: its id, and the hint and issues that describe it. */
export type FieldAria = { id: string; "aria-invalid": true | undefined; "aria-describedby": string | undefined };

type Props = {
  /** The control's id (its label points at it). */
  id: string;
  label: string;
  /** The setting the core's issues name. */
  settingKey: SettingKey;
  hint?: ReactNode;
  /** What is wrong with it (the core's and the panel's). */
  issues: readonly string[];
  /** The control, given its id and what describes it. */
  children: (aria: FieldAria) => ReactNode;
};

/** One setting: its label, its control, a hint, and its issues under it. */
export function SettingField({ id, label, settingKey, hint, issues, children }: Props) {
  const hintId = `${id}-hint`;
  const issuesId = `${id}-issues`;
  const described = [hint === undefined ? null : hintId, issues.length > 0 ? issuesId : null].filter((x) => x !== null);
  return (
    <div className={styles.field}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-invalid": issues.length > 0 || undefined,
        "aria-describedby": described.length > 0 ? described.join(" ") : undefined,
      })}
      {hint !== undefined && (
        <p id={hintId} className={styles.hint}>
          {hint}
        </p>
      )}
      <FieldIssues id={issuesId} testId={`setting-issue-${settingKey}`} messages={issues} />
    </div>
  );
}
