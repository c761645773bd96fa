// A new project from an app spec in the window: what the dialog checks before asking the core, what a refusal means,
// and what init did in one line. Pure functions over the generated types; the dialog is components/NewProjectDialog.
import type { InitReport } from "./bindings";
import { pathTail } from "./board";
import { count } from "./drafts";

/**
 * Whether a typed path is a full one: `/home/me/shop`, `C:\code\shop`, `\\server\share`. The core takes a relative
 * path (or `~`, which it does not expand) from its own working folder, never where the person meant.
 */
export function isFullPath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(path);
}

/** What is wrong with the typed paths before anything is asked (`null`: nothing); both are trimmed already. */
export function pathProblem(path: string, spec: string): string | null {
  if (!isFullPath(path)) return `The project folder must be a full path, e.g. /home/me/code/shop (not \`${path}\`).`;
  if (!isFullPath(spec)) return `The app spec must be a full path, e.g. /home/me/specs/shop.md (not \`${spec}\`).`;
  return null;
}

/** What a refusal of `init_project` means, by the error's code (its message says the rest). */
export function initRefusalTitle(code: string): string {
  switch (code) {
    case "invalid_input":
      return "This project can't be created here.";
    case "not_a_repository":
      return "The folder's git repository can't be used.";
    case "io":
      return "A file could not be read or written.";
    default:
      return "Couldn't create the project.";
  }
}

/** Git's short form of a commit hash. */
function shortHash(hash: string): string {
  return hash.slice(0, 7);
}

/** What init did, in one line: `Created shop: 12 files, experts: api, frontend; committed abc1234`. */
export function describeInit(report: InitReport): string {
  const name = pathTail(report.repo_path);
  const written = report.created.length + report.updated.length;
  const files = [count(written, "file")];
  if (report.kept.length > 0) files.push(`${count(report.kept.length, "file")} left alone`);
  const experts = report.domains.length === 0 ? "no experts" : `experts: ${report.domains.map((d) => d.domain).join(", ")}`;
  const commit = report.committed === null ? "nothing to commit" : `committed ${shortHash(report.committed)}`;
  return `${report.repo_created ? "Created" : "Set up"} ${name}: ${files.join(", ")}, ${experts}; ${commit}`;
}
