import { useId, useState } from "react";
import type { ErrorDto } from "../../bindings";
import { useSetToolRule } from "../../queries";
import styles from "./SettingsPanel.module.css";

/** A new tool rule for the project's agents (`Bash(npm install:*)`); the list above shows it once allowed. */
export function AllowRuleForm({ projectId }: { projectId: string }) {
  const id = useId();
  const [rule, setRule] = useState("");
  const [error, setError] = useState<ErrorDto | null>(null);
  const allow = useSetToolRule();
  const typed = rule.trim();
  const submit = () => {
    if (typed === "" || allow.isPending) return;
    setError(null);
    allow.mutate({ projectId, rule: typed, allow: true }, { onSuccess: () => setRule(""), onError: setError });
  };
  return (
    <form
      className={styles.allowRule}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor={id}>Allow a tool</label>
      <div className={styles.row}>
        <input
          id={id}
          className={styles.input}
          data-testid="settings-allow-rule"
          spellCheck={false}
          autoComplete="off"
          placeholder="Bash(npm install:*)"
          aria-describedby={`${id}-hint`}
          value={rule}
          onChange={(e) => {
            setRule(e.target.value);
            setError(null);
          }}
        />
        <button type="submit" className="button small" data-testid="settings-allow-rule-submit" disabled={typed === "" || allow.isPending}>
          {allow.isPending ? "Allowing…" : "Allow"}
        </button>
      </div>
      <p id={`${id}-hint`} className={styles.hint}>
        A rule as Claude Code writes it, e.g. <code>Bash(npm install:*)</code>; every agent of the project gets it.
      </p>
      {error !== null && (
        <p className={styles.refusal} role="alert" data-testid="settings-allow-rule-error" data-error-code={error.code}>
          <strong>{error.code === "invalid_input" ? "Not allowed." : "Couldn't allow it."}</strong> {error.message}
        </p>
      )}
    </form>
  );
}
