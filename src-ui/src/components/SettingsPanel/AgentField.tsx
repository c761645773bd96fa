import type { AgentPreset } from "../../bindings";
import { CUSTOM_AGENT, DEFAULT_AGENT_PRESET } from "../../settings";
import { Field } from "../Field/Field";
import styles from "./SettingsPanel.module.css";

type Props = {
  id: string;
  presets: readonly AgentPreset[];
  /** The preset chosen, or `CUSTOM_AGENT`. */
  choice: string;
  /** The agent's argv, one argument per line. */
  text: string;
  issues: readonly string[];
  /** A preset (or `CUSTOM_AGENT`) was chosen. */
  onChoose: (choice: string) => void;
  onChange: (text: string) => void;
};

function presetLabel(preset: AgentPreset): string {
  const name = preset.id === DEFAULT_AGENT_PRESET ? `${preset.name} (default)` : preset.name;
  return preset.installed ? name : `${name} — not installed`;
}

/** The agent: one of the presets or a custom command, its argv shown and edited one argument per line. */
export function AgentField({ id, presets, choice, text, issues, onChoose, onChange }: Props) {
  const chosen = presets.find((preset) => preset.id === choice);
  const choiceId = `${id}-preset`;
  return (
    <div className={styles.agent}>
      <Field
        id={choiceId}
        label="Agent"
        aside={
          chosen !== undefined &&
          !chosen.installed && (
            <span className={styles.missing} data-testid="settings-agent-missing">
              {chosen.name} is not installed (not found on PATH)
            </span>
          )
        }
      >
        {(control) => (
          <select
            {...control}
            data-testid="settings-agent-preset"
            value={chosen === undefined ? CUSTOM_AGENT : choice}
            onChange={(e) => onChoose(e.target.value)}
          >
            {presets.map((preset) => (
              <option key={preset.id} value={preset.id}>
                {presetLabel(preset)}
              </option>
            ))}
            <option value={CUSTOM_AGENT}>Custom argv</option>
          </select>
        )}
      </Field>
      <Field
        id={id}
        label="Agent command"
        look="lines"
        issues={issues}
        issuesTestId="setting-issue-agent"
        hint={
          <>
            One argument per line, never run through a shell. Template fields: <code>{"{prompt}"}</code>,{" "}
            <code>{"{prompt_file}"}</code>, <code>{"{task_id}"}</code>, <code>{"{worktree}"}</code>,{" "}
            <code>{"{allowed_tools}"}</code> (one argument per tool rule).
          </>
        }
      >
        {(control) => (
          <textarea
            {...control}
            data-testid="settings-agent"
            rows={5}
            spellCheck={false}
            autoComplete="off"
            wrap="off"
            value={text}
            onChange={(e) => onChange(e.target.value)}
          />
        )}
      </Field>
    </div>
  );
}
