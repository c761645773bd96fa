import type { ReactNode } from "react";
import type { SettingKey } from "../../settings";
import { SettingField } from "./SettingField";
import styles from "./SettingsPanel.module.css";

type Props = {
  id: string;
  label: string;
  settingKey: SettingKey;
  testId: string;
  hint: ReactNode;
  issues: readonly string[];
  /** One argument (or pattern) per line. */
  value: string;
  placeholder?: string;
  rows?: number;
  onChange: (value: string) => void;
};

/** A command (one argument per line, never a shell string) or a list of patterns (one per line). */
export function LinesField({ id, label, settingKey, testId, hint, issues, value, placeholder, rows = 3, onChange }: Props) {
  return (
    <SettingField id={id} label={label} settingKey={settingKey} hint={hint} issues={issues}>
      {(aria) => (
        <textarea
          {...aria}
          className={styles.lines}
          data-testid={testId}
          rows={rows}
          spellCheck={false}
          autoComplete="off"
          wrap="off"
          placeholder={placeholder}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </SettingField>
  );
}
