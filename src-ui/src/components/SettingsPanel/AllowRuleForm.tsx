import { useId, useState } from "react";
import type { ErrorDto } from "../../bindings";
import { useSetToolRule } from "../../queries";
import { Field } from "../Field/Field";
import { Form } from "../Form/Form";
import { Refusal } from "../Refusal/Refusal";
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
    <Form className={styles.allowRule} onSubmit={submit}>
      <Field
        id={id}
        label="Allow a tool"
        hint={
          <>
            A rule as Claude Code writes it, e.g. <code>Bash(npm install:*)</code>; every agent of the project gets it.
          </>
        }
        aside={
          <button type="submit" className="button small" data-testid="settings-allow-rule-submit" disabled={typed === "" || allow.isPending}>
            {allow.isPending ? "Allowing…" : "Allow"}
          </button>
        }
      >
        {(control) => (
          <input
            {...control}
            data-testid="settings-allow-rule"
            spellCheck={false}
            autoComplete="off"
            value={rule}
            onChange={(e) => {
              setRule(e.target.value);
              setError(null);
            }}
          />
        )}
      </Field>
      {error !== null && (
        <Refusal
          testId="settings-allow-rule-error"
          title={error.code === "invalid_input" ? "Not allowed." : "Couldn't allow it."}
          error={error}
        />
      )}
    </Form>
  );
}
