import { useId } from "react";
import type { AgentPreset, ProjectSettings } from "../../bindings";
import { useAgentPresetsQuery, useSettingsQuery } from "../../queries";
import { DiskUse } from "../DiskUse/DiskUse";
import { ErrorPanel } from "../ErrorPanel/ErrorPanel";
import { Loading } from "../Loading/Loading";
import { ToolRules } from "../ToolRules/ToolRules";
import { AllowRuleForm } from "./AllowRuleForm";
import { SettingsForm } from "./SettingsForm";
import styles from "./SettingsPanel.module.css";

type Props = {
  projectId: string;
  /** The project is YokeFlow's demo (it runs the scripted stand-in when no agent is set and Claude Code is missing). */
  isDemo?: boolean;
  /** The core stored the settings (its answer); e.g. a toast says so. */
  onSaved?: (settings: ProjectSettings) => void;
  /** Shows why taking back a tool rule failed (a toast). */
  onError?: (reason: unknown) => void;
};

const NO_PRESETS: readonly AgentPreset[] = [];
const ignore = () => {};

/**
 * The selected project's settings (the Settings tab): its agent, the commands around a task's worktree, the files each
 * worktree gets, its limits, and the tools its agents may use.
 */
export function SettingsPanel({ projectId, onSaved, onError = ignore, isDemo = false }: Props) {
  const headingId = useId();
  const toolsId = useId();
  const settings = useSettingsQuery(projectId);
  const presets = useAgentPresetsQuery();

  let body;
  if (settings.data !== undefined) {
    body = (
      <SettingsForm
        key={projectId}
        projectId={projectId}
        stored={settings.data}
        presets={presets.data ?? NO_PRESETS}
        isDemo={isDemo}
        onSaved={onSaved}
      />
    );
  } else if (settings.error !== null && !settings.isFetching) {
    body = <ErrorPanel title="Couldn't load the settings" error={settings.error} onRetry={() => void settings.refetch()} />;
  } else {
    body = <Loading label="Loading settings…" />;
  }

  return (
    <section className={styles.panel} data-testid="settings-panel" aria-labelledby={headingId}>
      <div className={styles.content}>
        <header>
          <h2 id={headingId} className={styles.heading}>
            Project settings
          </h2>
          <p className={styles.lead}>
            Commands set here are approved as set. When the project's tasks file already names the agent, the test
            command, setup, cleanup, or the included or linked files, saving edits that key in the file too.
          </p>
          <DiskUse projectId={projectId} />
        </header>
        {body}
        <section className={styles.tools} aria-labelledby={toolsId}>
          <h3 id={toolsId} className={styles.subheading}>
            Tool permissions
          </h3>
          <p className={styles.hint}>What the agents may use beyond editing files, without asking.</p>
          <ToolRules projectId={projectId} onError={onError} initiallyOpen>
            <AllowRuleForm projectId={projectId} />
          </ToolRules>
        </section>
      </div>
    </section>
  );
}
