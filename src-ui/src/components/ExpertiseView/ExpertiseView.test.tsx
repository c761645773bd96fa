import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DomainView, ErrorDto, ExpertiseConflict, ExpertiseKeep, ExpertiseOverview, RoutingLogEntry, SkillView } from "../../bindings";
import { renderWithStores } from "../../test/render";
import { useUiActions, useUiState } from "../../uiStore";
import { Toasts } from "../Toasts/Toasts";
import { ExpertiseView } from "./ExpertiseView";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

const DATABASE: DomainView = {
  domain: "database",
  confidence: 0.82,
  usage_count: 3,
  patterns: ["migrations/*.sql", "schema.prisma", "use transactions", "index foreign keys", "seed in tests", "no raw SQL", "pool size 10"],
  description: "Schema, migrations and queries",
  file: ".claude/commands/experts/database/expertise.yaml",
  persons_file: true,
};

const FRONTEND: DomainView = {
  domain: "frontend",
  confidence: 0.5,
  usage_count: 0,
  patterns: ["src/components/**"],
  description: null,
  file: ".claude/commands/experts/frontend/expertise.yaml",
  persons_file: false,
};

const SKILLS: SkillView[] = [
  { domain: "database", file: ".claude/skills/database/SKILL.md", description: "Database work in this repository", generated: true },
  { domain: "zoom", file: ".claude/skills/zoom/SKILL.md", description: "Zooming the map", generated: false },
];

/** Today at 09:05, local time. */
const AT = new Date(new Date().setHours(9, 5, 0, 0)).getTime();

const ROUTING: RoutingLogEntry[] = [
  { task_id: "cart-api", domain: "database", source: "db", score: 0.8349, at: AT },
  { task_id: "search-box", domain: null, source: "none", score: 0.1, at: AT - 60_000 },
];

const CHANGED: ExpertiseConflict = {
  id: 7,
  domain: "database",
  db_version: "domain: database\nconfidence: 0.82\n",
  file_version: "domain: database\nconfidence: 0.9\n",
  detected_at: AT,
  resolved_at: null,
  resolution: null,
};

const DELETED: ExpertiseConflict = {
  id: 8,
  domain: "frontend",
  db_version: "domain: frontend\nconfidence: 0.5\n",
  file_version: "",
  detected_at: AT,
  resolved_at: null,
  resolution: null,
};

const EMPTY: ExpertiseOverview = { domains: [], skills: [], routing: [], conflicts: [] };

/** What `expertise_overview` answers. */
let overview: ExpertiseOverview;
/** `expertise_overview` rejects with this while set. */
let readError: ErrorDto | null;
/** `resolve_expertise_conflict` rejects with this while set. */
let refusal: ErrorDto | null;

/** The core's resolution of a conflict: it closes, and the side kept becomes the domain's expertise. */
function resolved(current: ExpertiseOverview, domain: string, keep: ExpertiseKeep): ExpertiseOverview {
  const deletion = current.conflicts.some((c) => c.domain === domain && c.file_version === "");
  const conflicts = current.conflicts.filter((c) => c.domain !== domain);
  if (deletion && keep === "file") return { ...current, conflicts, domains: current.domains.filter((d) => d.domain !== domain) };
  if (keep === "db") return { ...current, conflicts };
  return { ...current, conflicts, domains: current.domains.map((d) => (d.domain === domain ? { ...d, confidence: 0.9 } : d)) };
}

beforeEach(() => {
  overview = { domains: [DATABASE, FRONTEND], skills: SKILLS, routing: ROUTING, conflicts: [] };
  readError = null;
  refusal = null;
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string, args: { domain: string; keep: ExpertiseKeep }) => {
    switch (command) {
      case "expertise_overview":
        return readError === null ? Promise.resolve(overview) : Promise.reject(readError);
      case "resolve_expertise_conflict":
        if (refusal !== null) return Promise.reject(refusal);
        overview = resolved(overview, args.domain, args.keep);
        return Promise.resolve(overview);
      default:
        return Promise.reject({ code: "unknown", message: `unexpected ${command}` });
    }
  });
});

/** The view with the app's toasts, its errors reported as the project view reports them. */
function Harness() {
  const { pushError } = useUiActions();
  return (
    <>
      <ExpertiseView projectId="p1" onError={pushError} />
      <Toasts toasts={useUiState().toasts} onDismiss={() => {}} />
    </>
  );
}

function renderView() {
  return renderWithStores(<Harness />);
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args as Record<string, unknown>);
}

function domain(name: string) {
  return screen.getAllByTestId("expertise-domain").find((card) => card.getAttribute("data-domain") === name)!;
}

function conflict(name: string) {
  return screen.getAllByTestId("expertise-conflict").find((card) => card.getAttribute("data-domain") === name)!;
}

describe("ExpertiseView", () => {
  it("shows each domain: its confidence, usage, description, file, and its first patterns", async () => {
    const user = userEvent.setup();
    renderView();
    expect(screen.getByTestId("expertise-view")).toBeInTheDocument();
    const cards = await screen.findAllByTestId("expertise-domain");
    expect(callsOf("expertise_overview")).toEqual([{ projectId: "p1" }]);
    expect(cards.map((card) => card.getAttribute("data-domain"))).toEqual(["database", "frontend"]);

    const database = domain("database");
    expect(within(database).getByTestId("domain-confidence")).toHaveTextContent("82%");
    expect(within(database).getByTestId("domain-usage")).toHaveTextContent("used 3 times");
    expect(database).toHaveTextContent("Schema, migrations and queries");
    expect(within(database).getByTestId("domain-file")).toHaveTextContent(".claude/commands/experts/database/expertise.yaml");
    const badge = within(database).getByTestId("persons-file");
    expect(badge).toHaveTextContent("your file");
    expect(badge).toHaveAttribute("title", expect.stringContaining("edits only confidence, usage, metrics and patterns"));

    // The first five patterns, the rest behind "+2 more".
    expect(within(database).getAllByTestId("domain-pattern").map((p) => p.textContent)).toEqual(DATABASE.patterns.slice(0, 5));
    const more = within(database).getByTestId("patterns-more");
    expect(more).toHaveTextContent("+2 more");
    await user.click(more);
    expect(within(database).getAllByTestId("domain-pattern").map((p) => p.textContent)).toEqual(DATABASE.patterns);
    await user.click(within(database).getByTestId("patterns-more"));
    expect(within(database).getAllByTestId("domain-pattern")).toHaveLength(5);

    const frontend = domain("frontend");
    expect(within(frontend).getByTestId("domain-confidence")).toHaveTextContent("50%");
    expect(within(frontend).getByTestId("domain-usage")).toHaveTextContent("never used");
    expect(within(frontend).queryByTestId("persons-file")).not.toBeInTheDocument();
    expect(within(frontend).queryByTestId("patterns-more")).not.toBeInTheDocument();
  });

  it("lists the skills, generated or a person's own", async () => {
    renderView();
    const skills = await screen.findAllByTestId("expertise-skill");
    expect(skills.map((skill) => skill.getAttribute("data-domain"))).toEqual(["database", "zoom"]);
    expect(within(skills[0]!).getByTestId("skill-origin")).toHaveTextContent("generated");
    expect(within(skills[0]!).getByTestId("skill-file")).toHaveTextContent(".claude/skills/database/SKILL.md");
    expect(skills[0]).toHaveTextContent("Database work in this repository");
    expect(within(skills[1]!).getByTestId("skill-origin")).toHaveTextContent("yours");
  });

  it("shows the latest routing decisions: task, expert or none, source, score and time", async () => {
    renderView();
    const table = await screen.findByTestId("expertise-routing");
    const rows = within(table).getAllByTestId("routing-row");
    expect(rows.map((row) => row.getAttribute("data-task-id"))).toEqual(["cart-api", "search-box"]);
    const cells = (row: HTMLElement) => within(row).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells(rows[0]!)).toEqual(["cart-api", "database", "database", "0.83", "09:05"]);
    expect(cells(rows[1]!)).toEqual(["search-box", "no expert", "none", "0.10", "09:04"]);
  });

  it("explains where experts and skills live when there is none yet", async () => {
    overview = EMPTY;
    renderView();
    const empty = await screen.findByTestId("expertise-empty");
    expect(empty).toHaveTextContent(".claude/commands/experts/<domain>/expertise.yaml");
    expect(empty).toHaveTextContent(".claude/skills/<name>/SKILL.md");
    expect(empty).toHaveTextContent("picks them up as they appear");
    expect(screen.queryByTestId("expertise-domain")).not.toBeInTheDocument();
    expect(screen.queryByTestId("expertise-routing")).not.toBeInTheDocument();
  });

  it("shows a failed read with a retry", async () => {
    readError = { code: "not_found", message: "project `p1` not found" };
    const user = userEvent.setup();
    renderView();
    const error = await screen.findByTestId("error-state");
    expect(error).toHaveAttribute("data-error-code", "not_found");
    readError = null;
    await user.click(within(error).getByRole("button", { name: "Try again" }));
    expect(await screen.findAllByTestId("expertise-domain")).toHaveLength(2);
  });

  it("shows a conflict's two versions side by side, and keeps the file when asked", async () => {
    overview = { ...overview, conflicts: [CHANGED] };
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("expertise-conflict");
    const card = conflict("database");
    expect(within(card).getByRole("figure", { name: "Database" })).toHaveTextContent("confidence: 0.82");
    expect(within(card).getByRole("figure", { name: "File on disk" })).toHaveTextContent("confidence: 0.9");
    expect(card.querySelectorAll("pre")).toHaveLength(2);
    expect(within(card).getByTestId("resolve-db")).toHaveTextContent("Keep the database version");
    expect(within(card).getByTestId("resolve-file")).toHaveTextContent("Keep the file");

    await user.click(within(card).getByTestId("resolve-file"));
    await waitFor(() => expect(screen.queryByTestId("expertise-conflict")).not.toBeInTheDocument());
    expect(callsOf("resolve_expertise_conflict")).toEqual([{ projectId: "p1", domain: "database", keep: "file" }]);
    // The answer is shown as it came: no second read.
    expect(within(domain("database")).getByTestId("domain-confidence")).toHaveTextContent("90%");
    expect(callsOf("expertise_overview")).toHaveLength(1);
  });

  it("keeps the database version when asked", async () => {
    overview = { ...overview, conflicts: [CHANGED] };
    const user = userEvent.setup();
    renderView();
    await user.click(await screen.findByTestId("resolve-db"));
    await waitFor(() => expect(screen.queryByTestId("expertise-conflict")).not.toBeInTheDocument());
    expect(callsOf("resolve_expertise_conflict")).toEqual([{ projectId: "p1", domain: "database", keep: "db" }]);
    expect(within(domain("database")).getByTestId("domain-confidence")).toHaveTextContent("82%");
  });

  it("offers to restore a deleted file, or to forget its domain after a second click", async () => {
    overview = { ...overview, conflicts: [DELETED] };
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("expertise-conflict");
    const card = conflict("frontend");
    expect(within(card).getByRole("figure", { name: "File on disk" })).toHaveTextContent("The file was deleted.");
    expect(card.querySelectorAll("pre")).toHaveLength(1);
    expect(within(card).getByTestId("resolve-db")).toHaveTextContent("Restore the file");
    expect(within(card).getByTestId("resolve-file")).toHaveTextContent("Forget this domain");

    // The first click only asks; taking it back changes nothing.
    await user.click(within(card).getByTestId("resolve-file"));
    const confirm = within(card).getByRole("group", { name: "Confirm forgetting the domain" });
    expect(confirm).toHaveTextContent("Forget frontend?");
    expect(callsOf("resolve_expertise_conflict")).toEqual([]);
    await user.click(within(card).getByTestId("resolve-file-cancel"));
    expect(within(card).queryByTestId("resolve-file-confirm")).not.toBeInTheDocument();
    expect(callsOf("resolve_expertise_conflict")).toEqual([]);

    await user.click(within(card).getByTestId("resolve-file"));
    await user.click(within(card).getByTestId("resolve-file-confirm"));
    await waitFor(() => expect(screen.queryByTestId("expertise-conflict")).not.toBeInTheDocument());
    expect(callsOf("resolve_expertise_conflict")).toEqual([{ projectId: "p1", domain: "frontend", keep: "file" }]);
    expect(screen.getAllByTestId("expertise-domain").map((d) => d.getAttribute("data-domain"))).toEqual(["database"]);
  });

  it("restores a deleted file at once", async () => {
    overview = { ...overview, conflicts: [DELETED] };
    const user = userEvent.setup();
    renderView();
    await user.click(await screen.findByTestId("resolve-db"));
    await waitFor(() => expect(screen.queryByTestId("expertise-conflict")).not.toBeInTheDocument());
    expect(callsOf("resolve_expertise_conflict")).toEqual([{ projectId: "p1", domain: "frontend", keep: "db" }]);
    expect(screen.getAllByTestId("expertise-domain")).toHaveLength(2);
  });

  it("shows a refused resolution as a toast, and reads the expertise again when the conflict is gone", async () => {
    overview = { ...overview, conflicts: [CHANGED] };
    refusal = { code: "not_found", message: "open expertise conflict for domain `database` not found" };
    const user = userEvent.setup();
    renderView();
    await user.click(await screen.findByTestId("resolve-file"));
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "not_found");
    expect(toast).toHaveTextContent("open expertise conflict for domain `database` not found");
    await waitFor(() => expect(callsOf("expertise_overview")).toHaveLength(2));
  });

  it("shows another refusal as a toast without reading again", async () => {
    overview = { ...overview, conflicts: [CHANGED] };
    refusal = { code: "database", message: "database is locked" };
    const user = userEvent.setup();
    renderView();
    await user.click(await screen.findByTestId("resolve-db"));
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "database");
    expect(screen.getByTestId("expertise-conflict")).toBeInTheDocument();
    expect(callsOf("expertise_overview")).toHaveLength(1);
  });
});
