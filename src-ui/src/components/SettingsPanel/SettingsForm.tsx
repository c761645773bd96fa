import { useId, useMemo, useState } from "react";
import type { AgentPreset, ErrorDto, ProjectSettings } from "../../bindings";
import { useSaveSettings, useSettingsCheckQuery } from "../../queries";
import {
  agentChoice,
  argvLines,
  CUSTOM_AGENT,
  DEFAULT_AGENT_PRESET,
  DEFAULT_TIMEOUT_MINUTES,
  sameSettings,
  settingsDraft,
  settingsFields,
  sortSettingIssues,
  splitPreview,
  type SettingKey,
  type SettingsFields,
} from "../../settings";
import { Field } from "../Field/Field";
import { FieldIssues } from "../FieldIssues/FieldIssues";
import { Form } from "../Form/Form";
import { ActionsNote, FormActions } from "../FormActions/FormActions";
import { GeneralIssues, Refusal } from "../Refusal/Refusal";
import { AgentField } from "./AgentField";
import { LinesField } from "./LinesField";
import styles from "./SettingsPanel.module.css";

type Props = {
  projectId: string;
  /** The settings as stored (the query's). */
  stored: ProjectSettings;
  /** The agents YokeFlow knows (empty until read). */
  presets: readonly AgentPreset[];
  /** The project is YokeFlow's demo. */
  isDemo?: boolean;
  /** The core stored the settings (the answer); the form shows them next. */
  onSaved?: (settings: ProjectSettings) => void;
};

const NO_ISSUES: readonly string[] = [];

/** Why a save was refused, by its code. */
function refusalTitle(code: string): string {
  switch (code) {
    case "invalid_input":
      return "The settings were not saved.";
    case "not_found":
      return "This project is gone.";
    default:
      return "Couldn't save the settings.";
  }
}

/**
 * The project's settings as a form: what the core finds wrong is asked as the person types and shown at each field;
 * Save (Ctrl+Enter too) stores them, Revert goes back to what is stored.
 */
export function SettingsForm({ projectId, stored, presets, onSaved, isDemo = false }: Props) {
  const uid = useId();
  const [fields, setFields] = useState<SettingsFields>(() => settingsFields(stored));
  // "Custom argv" chosen while the agent's command is still a preset's (to edit it from there).
  const [custom, setCustom] = useState(false);
  const [saveError, setSaveError] = useState<ErrorDto | null>(null);
  const save = useSaveSettings();

  // The stored settings changed under the form (read again): an untouched form shows them.
  const [base, setBase] = useState(stored);
  if (base !== stored) {
    setBase(stored);
    if (sameSettings(settingsDraft(fields, base).settings, base)) setFields(settingsFields(stored));
  }

  const draft = useMemo(() => settingsDraft(fields, stored), [fields, stored]);
  const check = useSettingsCheckQuery(draft.settings);
  const changed = !sameSettings(draft.settings, stored);
  const sorted = sortSettingIssues(check.data ?? [], draft.local);
  const issuesOf = (key: SettingKey) => sorted.byKey.get(key) ?? NO_ISSUES;
  const issues = (key: SettingKey) => ({ issues: issuesOf(key), issuesTestId: `setting-issue-${key}` });
  const hasIssues = sorted.byKey.size > 0 || sorted.general.length > 0;
  const canSave = changed && !hasIssues && !check.checking && !save.isPending;

  const defaultArgv = presets.find((preset) => preset.id === DEFAULT_AGENT_PRESET)?.argv ?? [];
  const agentText = fields.agent ?? argvLines(defaultArgv);
  const choice = custom || presets.length === 0 ? CUSTOM_AGENT : agentChoice(draft.settings.agent, presets);
  // The demo with no agent set runs the scripted stand-in where the default agent (Claude Code) is missing.
  const defaultPreset = presets.find((preset) => preset.id === DEFAULT_AGENT_PRESET);
  const standIn = isDemo && fields.agent === null && defaultPreset !== undefined && !defaultPreset.installed;

  const set = (change: Partial<SettingsFields>) => {
    setFields((current) => ({ ...current, ...change }));
    setSaveError(null);
  };
  const choose = (id: string) => {
    if (id === CUSTOM_AGENT) {
      setCustom(true);
      return;
    }
    const preset = presets.find((p) => p.id === id);
    if (preset === undefined) return;
    setCustom(false);
    // Back to the default agent when it was the default: nothing to store.
    set({ agent: id === DEFAULT_AGENT_PRESET && stored.agent === null ? null : argvLines(preset.argv) });
  };
  const showStored = (settings: ProjectSettings) => {
    setFields(settingsFields(settings));
    setCustom(false);
  };
  const revert = () => {
    showStored(stored);
    setSaveError(null);
  };
  const submit = () => {
    if (!canSave) return;
    setSaveError(null);
    save.mutate(
      { projectId, settings: draft.settings },
      {
        onSuccess: (answer) => {
          showStored(answer);
          onSaved?.(answer);
        },
        onError: (error) => {
          setSaveError(error);
          // The core's reasons, setting by setting.
          if (error.code === "invalid_input") void check.refetch();
        },
      },
    );
  };

  const fieldId = (key: string) => `${uid}-${key}`;
  let status = "";
  if (save.isPending) status = "Saving…";
  else if (changed && check.checking) status = "Checking…";
  else if (changed && hasIssues) status = "Fix the settings marked to save them.";
  else if (!changed) status = "No changes.";

  return (
    <Form className={styles.form} aria-label="Project settings" data-testid="settings-form" onSubmit={submit} ctrlEnter>
      <GeneralIssues testId="settings-issues" messages={sorted.general} />
      {check.error !== null && (
        <Refusal testId="settings-check-error" title="Can't check these settings." error={check.error} warning />
      )}

      <fieldset className={styles.group}>
        <legend>Agent</legend>
        <AgentField
          id={fieldId("agent")}
          presets={presets}
          choice={choice}
          text={agentText}
          issues={issuesOf("agent")}
          onChoose={choose}
          onChange={(text) => {
            setCustom(false);
            set({ agent: text });
          }}
        />
        {standIn && (
          <p className={styles.standIn} data-testid="settings-agent-stand-in">
            This demo runs YokeFlow&apos;s scripted stand-in agent (not an AI) while no agent is set and Claude Code is not
            installed: it edits the files each task names and commits. Choose an installed agent to run a real one.
          </p>
        )}
      </fieldset>

      <fieldset className={styles.group}>
        <legend>Commands</legend>
        <LinesField
          id={fieldId("test")}
          label="Test command"
          testId="settings-test_command"
          hint="Runs on every merged tree before the target branch moves. One argument per line, or a command line (split into arguments, no shell); empty: none."
          {...issues("test_command")}
          value={fields.testCommand}
          split={splitPreview(fields.testCommand)}
          onChange={(testCommand) => set({ testCommand })}
        />
        <LinesField
          id={fieldId("setup")}
          label="Setup"
          testId="settings-setup"
          hint="Runs in each new task worktree before its agent (and in the merge gate's worktree when it or a lockfile changed), e.g. npm ci. One argument per line, or a command line (split into arguments, no shell); empty: none."
          {...issues("setup")}
          value={fields.setup}
          split={splitPreview(fields.setup)}
          onChange={(setup) => set({ setup })}
        />
        <LinesField
          id={fieldId("cleanup")}
          label="Cleanup"
          testId="settings-cleanup"
          hint="Runs in a worktree before it is removed. One argument per line, or a command line (split into arguments, no shell); empty: none."
          {...issues("cleanup")}
          value={fields.cleanup}
          split={splitPreview(fields.cleanup)}
          onChange={(cleanup) => set({ cleanup })}
        />
      </fieldset>

      <fieldset className={styles.group}>
        <legend>Files each worktree gets</legend>
        <LinesField
          id={fieldId("include")}
          label="Included files"
          testId="settings-worktree_include"
          hint={
            <>
              Files your checkout has and git ignores (e.g. <code>.env</code>, <code>config/local.toml</code>), copied
              into each worktree; a file git tracks or does not ignore is never copied (it would be committed). One
              pattern per line, relative to the repository; <code>*</code> stays within one folder level.
            </>
          }
          {...issues("worktree_include")}
          value={fields.include}
          onChange={(include) => set({ include })}
        />
        <LinesField
          id={fieldId("link")}
          label="Linked files"
          testId="settings-worktree_link"
          hint="Ignored files or folders (e.g. node_modules) linked into each worktree instead of copied; git must ignore the name itself (node_modules, not node_modules/). One pattern per line, as above."
          {...issues("worktree_link")}
          value={fields.link}
          onChange={(link) => set({ link })}
        />
        <div>
          <label className={styles.check}>
            <input
              type="checkbox"
              data-testid="settings-reuse_worktrees"
              aria-describedby={fieldId("reuse-hint")}
              checked={fields.reuseWorktrees}
              onChange={(e) => set({ reuseWorktrees: e.target.checked })}
            />
            Reuse each slot's worktree between tasks
          </label>
          <p className={styles.hint} id={fieldId("reuse-hint")}>
            The next task starts in the same folder, reset to its base: tracked and untracked files as the target has
            them, ignored build outputs (target/, node_modules/, caches) kept, so builds are incremental. Off: a fresh
            worktree per task, and the kept slots are removed.
          </p>
        </div>
      </fieldset>

      <fieldset className={styles.group}>
        <legend>Sandbox</legend>
        <div>
          <label className={styles.check}>
            <input
              type="checkbox"
              data-testid="settings-sandbox"
              aria-describedby={`${fieldId("sandbox-hint")} ${fieldId("sandbox-issues")}`}
              checked={fields.sandbox}
              onChange={(e) => set({ sandbox: e.target.checked })}
            />
            Confine agents, tests, setup and cleanup (bubblewrap)
          </label>
          <p className={styles.hint} id={fieldId("sandbox-hint")}>
            Each may write only to its own worktree, a private /tmp, its CLI's state, the project's package caches and the
            folders below; your home,
            credentials (~/.ssh, ~/.aws…), your checkout, the other worktrees and YokeFlow's data are out of reach,
            and nothing it starts outlives it. Agents then get every tool without asking. Off: they run as you, with
            everything you can touch.
          </p>
          <FieldIssues id={fieldId("sandbox-issues")} testId="setting-issue-sandbox" messages={issuesOf("sandbox")} />
        </div>
        <div>
          <label className={styles.check}>
            <input
              type="checkbox"
              data-testid="settings-sandbox_network"
              disabled={!fields.sandbox}
              checked={fields.sandboxNetwork}
              onChange={(e) => set({ sandboxNetwork: e.target.checked })}
            />
            Network inside the sandbox (the agent needs its model's API)
          </label>
        </div>
        <LinesField
          id={fieldId("caches")}
          label="Shared folders"
          testId="settings-sandbox_caches"
          hint="Folders of yours the sandbox may write too, shared with your own tools (what a program leaves there, they use). Package managers (npm, yarn, pip, cargo, Go) get caches of the project's own anyway. One per line; ~/ is your home folder."
          {...issues("sandbox_caches")}
          value={fields.sandboxCaches}
          onChange={(sandboxCaches) => set({ sandboxCaches })}
        />
      </fieldset>

      <fieldset className={styles.group}>
        <legend>Merge gate</legend>
        <div>
          <label className={styles.check}>
            <input
              type="checkbox"
              data-testid="settings-preflight"
              aria-describedby={`${fieldId("preflight-hint")} ${fieldId("preflight-issues")}`}
              checked={fields.preflight}
              onChange={(e) => set({ preflight: e.target.checked })}
            />
            Pre-flight: test each finished branch in its own worktree before the gate
          </label>
          <p className={styles.hint} id={fieldId("preflight-hint")}>
            Merged with the target while it waits, so a branch whose tests fail goes to Review without holding up the
            others. Off: for tests that cannot run twice side by side.
          </p>
          <FieldIssues id={fieldId("preflight-issues")} testId="setting-issue-preflight" messages={issuesOf("preflight")} />
        </div>
        <div className={styles.numbers}>
          <Field
            id={fieldId("parallel-tests")}
            label="Test runs at once"
            hint="The gate's and the pre-flights' together (1 to 64). Empty: the machine's cores."
            {...issues("parallel_tests")}
          >
            {(control) => (
              // Text, as the timeout's: empty means the machine's cores, so a number the browser can't parse must not read as empty.
              <input
                {...control}
                data-testid="settings-parallel_tests"
                inputMode="numeric"
                autoComplete="off"
                value={fields.parallelTests}
                onChange={(e) => set({ parallelTests: e.target.value })}
              />
            )}
          </Field>
          <Field
            id={fieldId("batch-size")}
            label="Branches per gate test run"
            hint="The most branches the gate lands together with one run of the tests (1 to 64)."
            {...issues("batch_size")}
          >
            {(control) => (
              <input
                {...control}
                data-testid="settings-batch_size"
                type="number"
                min={1}
                max={64}
                step={1}
                value={fields.batchSize}
                onChange={(e) => set({ batchSize: e.target.value })}
              />
            )}
          </Field>
        </div>
      </fieldset>

      <fieldset className={styles.group}>
        <legend>Limits</legend>
        <div className={styles.numbers}>
          <Field
            id={fieldId("workers")}
            label="Worktrees at once"
            hint="Agents working side by side (1 to 64); the plan follows."
            {...issues("max_worktrees")}
          >
            {(control) => (
              <input
                {...control}
                data-testid="settings-max_worktrees"
                type="number"
                min={1}
                max={64}
                step={1}
                value={fields.maxWorktrees}
                onChange={(e) => set({ maxWorktrees: e.target.value })}
              />
            )}
          </Field>
          <Field
            id={fieldId("timeout")}
            label="Agent timeout (minutes)"
            hint={`An agent still working after this long is stopped; its task goes to Review. Empty: ${DEFAULT_TIMEOUT_MINUTES} minutes.`}
            {...issues("agent_timeout_secs")}
          >
            {(control) => (
              // Text, not a number input: a browser reads a number it can't parse as empty, which would mean the default.
              <input
                {...control}
                data-testid="settings-agent_timeout"
                inputMode="decimal"
                autoComplete="off"
                value={fields.timeoutMinutes}
                onChange={(e) => set({ timeoutMinutes: e.target.value })}
              />
            )}
          </Field>
          <Field
            id={fieldId("budget")}
            label="Budget per run (USD)"
            hint="Once a run's agents have cost this much, no new task starts. Empty: no limit."
            {...issues("max_cost_usd")}
          >
            {(control) => (
              <input
                {...control}
                data-testid="settings-max_cost_usd"
                inputMode="decimal"
                autoComplete="off"
                value={fields.maxCost}
                onChange={(e) => set({ maxCost: e.target.value })}
              />
            )}
          </Field>
        </div>
      </fieldset>

      {saveError !== null && <Refusal testId="settings-error" title={refusalTitle(saveError.code)} error={saveError} />}

      <FormActions>
        <span className={styles.status} role="status" data-testid="settings-status">
          {status}
        </span>
        <ActionsNote>Ctrl+Enter saves</ActionsNote>
        <button type="button" className="button" data-testid="settings-revert" disabled={!changed || save.isPending} onClick={revert}>
          Revert
        </button>
        <button type="submit" className="button primary" data-testid="settings-save" disabled={!canSave}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </FormActions>
    </Form>
  );
}
