import { useMemo, useState } from "react";
import { Diff, Hunk, parseDiff, tokenize, type HunkData, type ViewType } from "react-diff-view";
import "react-diff-view/style/index.css";
import { refractor } from "refractor/lib/common.js";
import type { FileChange, FileDiff, TaskDiff } from "../../bindings";
import { cx } from "../../classNames";
import { useTaskDiffQuery } from "../../queries";
import styles from "./DiffPanel.module.css";

const CHANGE_CLASS: Record<FileChange, string | undefined> = {
  added: styles.changeAdded,
  modified: undefined,
  deleted: styles.changeDeleted,
  renamed: styles.changeMoved,
  type_changed: styles.changeMoved,
};

/** A file with more changed lines than this starts folded. */
export const FOLD_LINES = 400;

const SOURCE: Record<TaskDiff["source"], string> = {
  worktree: "its worktree as it is now, uncommitted work included",
  branch: "its kept branch",
  landed: "the commit that landed it",
};

const LANGUAGE: Record<string, string> = {
  rs: "rust",
  ts: "typescript",
  tsx: "tsx",
  js: "javascript",
  jsx: "jsx",
  mjs: "javascript",
  py: "python",
  go: "go",
  rb: "ruby",
  java: "java",
  kt: "kotlin",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  hpp: "cpp",
  cs: "csharp",
  css: "css",
  scss: "scss",
  html: "markup",
  xml: "markup",
  svg: "markup",
  md: "markdown",
  json: "json",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  sh: "bash",
  sql: "sql",
  swift: "swift",
  php: "php",
};

function languageOf(path: string): string | null {
  const ext = path.split(".").pop()?.toLowerCase() ?? "";
  const language = LANGUAGE[ext];
  return language !== undefined && refractor.registered(language) ? language : null;
}

/** refractor 4 answers a tree; react-diff-view's tokenizer wants its children (refractor 3's answer). */
const highlighter = {
  highlight: (code: string, language: string) => refractor.highlight(code, language).children,
};

/** The syntax tokens of a file's hunks, or none when its language is unknown or tokenizing fails. */
function tokensOf(hunks: HunkData[], path: string) {
  const language = languageOf(path);
  if (language === null) return undefined;
  try {
    return tokenize(hunks, { highlight: true, refractor: highlighter, language });
  } catch {
    return undefined;
  }
}

/** One changed file: its name and counts, then its patch (folded when large, absent when binary or too large). */
function FileView({ file, viewType }: { file: FileDiff; viewType: ViewType }) {
  const [open, setOpen] = useState(file.additions + file.deletions <= FOLD_LINES);
  const parsed = useMemo(() => (open && file.patch !== null ? (parseDiff(file.patch, { nearbySequences: "zip" })[0] ?? null) : null), [open, file.patch]);
  const tokens = useMemo(() => (parsed === null ? undefined : tokensOf(parsed.hunks, file.path)), [parsed, file.path]);
  const name = file.old_path !== null ? `${file.old_path} → ${file.path}` : file.path;
  return (
    <section className={styles.file} data-testid="diff-file" data-path={file.path} data-change={file.change}>
      <header className={styles.fileHead}>
        <span className={cx(styles.change, CHANGE_CLASS[file.change])}>{file.change.replace("_", " ")}</span>
        <code className={styles.path}>{name}</code>
        <span className={styles.counts}>
          {file.binary ? (
            "binary"
          ) : (
            <>
              <span className={styles.added}>+{file.additions}</span> <span className={styles.deleted}>−{file.deletions}</span>
            </>
          )}
        </span>
        {file.patch !== null && (
          <button type="button" className="button small" onClick={() => setOpen(!open)} aria-expanded={open}>
            {open ? "Fold" : "Show"}
          </button>
        )}
      </header>
      {file.folded && <p className={styles.note}>Too large to show here (more than 256 KB of changes): `yokeflow diff` prints it.</p>}
      {parsed !== null && (
        <Diff viewType={viewType} diffType={parsed.type} hunks={parsed.hunks} tokens={tokens} className={styles.diff}>
          {(hunks) => hunks.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
        </Diff>
      )}
    </section>
  );
}

type Props = { projectId: string; taskId: string };

/** A task's changes against its merge base with the target, read from the core, unified or side by side. */
export function DiffPanel({ projectId, taskId }: Props) {
  const query = useTaskDiffQuery(projectId, taskId, true);
  const [viewType, setViewType] = useState<ViewType>("unified");
  if (query.isPending) return <p className={styles.note}>Reading the diff…</p>;
  if (query.error !== null) {
    return (
      <p className={styles.note} data-testid="diff-empty">
        {query.error.code === "not_found" ? "No work to show yet: its agent has not started." : query.error.message}
      </p>
    );
  }
  const diff = query.data;
  return (
    <div className={styles.panel} data-testid="diff-panel" data-source={diff.source}>
      <div className={styles.bar}>
        <span className={styles.summary} data-testid="diff-summary">
          {diff.files.length} file{diff.files.length === 1 ? "" : "s"} · <span className={styles.added}>+{diff.additions}</span>{" "}
          <span className={styles.deleted}>−{diff.deletions}</span> · from {SOURCE[diff.source]}
        </span>
        <div className={styles.toggle} role="group" aria-label="Diff layout">
          {(["unified", "split"] as const).map((type) => (
            <button
              key={type}
              type="button"
              className={viewType === type ? "button small primary" : "button small"}
              aria-pressed={viewType === type}
              onClick={() => setViewType(type)}
            >
              {type === "unified" ? "Unified" : "Split"}
            </button>
          ))}
        </div>
        <button type="button" className="button small" onClick={() => void query.refetch()} disabled={query.isFetching}>
          {query.isFetching ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {diff.files.length === 0 && <p className={styles.note}>No change against the target.</p>}
      {diff.files.map((file) => (
        <FileView key={`${file.old_path ?? ""}:${file.path}`} file={file} viewType={viewType} />
      ))}
      {diff.truncated && <p className={styles.note}>More files changed than are listed here.</p>}
    </div>
  );
}
