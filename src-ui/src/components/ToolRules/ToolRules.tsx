import { useState, type ReactNode } from "react";
import { useSetToolRule, useToolPermissionsQuery } from "../../queries";
import styles from "./ToolRules.module.css";

type Props = {
  projectId: string;
  /** Shows why a revoke failed (a toast). */
  onError: (reason: unknown) => void;
  /** Unfolded from the start (the rules are read at once); else they are read when a person unfolds them. */
  initiallyOpen?: boolean;
  /** Shown under the rules while unfolded (the settings' field allowing a new rule). */
  children?: ReactNode;
};

/**
 * The tools the project's agents may use without asking, beyond editing files; the ones a person allowed can be
 * taken back. Shown in a task's log pane and in the project's settings.
 */
export function ToolRules({ projectId, onError, initiallyOpen = false, children }: Props) {
  const [open, setOpen] = useState(initiallyOpen);
  const rules = useToolPermissionsQuery(open ? projectId : null);
  const setRule = useSetToolRule();
  return (
    <details className={styles.rules} data-testid="tool-rules" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Tools its agents may use</summary>
      {rules.data !== undefined && (
        <ul>
          {rules.data.effective.map((rule) => (
            <li key={rule}>
              <code>{rule}</code>
              {rules.data.allowed.includes(rule) ? (
                <button
                  type="button"
                  className="button small"
                  data-testid="revoke-tool"
                  aria-label={`Revoke ${rule}`}
                  disabled={setRule.isPending}
                  onClick={() => setRule.mutate({ projectId, rule, allow: false }, { onError })}
                >
                  Revoke
                </button>
              ) : (
                <span className={styles.ruleNote}> default</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {children}
    </details>
  );
}
