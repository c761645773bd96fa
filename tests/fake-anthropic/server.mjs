#!/usr/bin/env node
// A scripted stand-in for Anthropic's Messages API, for driving the real Claude Code CLI offline in tests.
//
// Start: `node tests/fake-anthropic/server.mjs [--log FILE]`. It listens on 127.0.0.1 on a free port and prints
// `listening on http://127.0.0.1:PORT` as its first line; point the CLI at it with `ANTHROPIC_BASE_URL` and any
// `ANTHROPIC_API_KEY`.
//
// What the model "does" is written in the prompt: a fenced block
//
//     ```yokeflow-script
//     [{"tool": "Write", "input": {"file_path": "a.txt", "content": "hi\n"}},
//      {"tool": "Bash", "input": {"command": "git add -A && git commit -m a"}},
//      {"say": "Task one is done."}]
//     ```
//
// in the latest user message that has one (a task's prompt, or a follow-up remark). Each answer plays the next
// step: the number of our answers (assistant messages) since that message says how far the script got, so a script
// can span turns (a `say` ends one; the next user message resumes after it). A `tool` step answers with that tool
// call (the CLI runs it for real); a `say` step, or the end of the script, answers with text and ends the turn. Requests without tools (the CLI's side requests: titles, summaries) get a short text.
//
// Every request body is appended, one JSON a line, to the `--log` file, so tests can check what the CLI sent (for
// example that a resumed conversation carries the earlier messages and the remark).
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const args = process.argv.slice(2);
const logIndex = args.indexOf("--log");
const logFile = logIndex >= 0 ? args[logIndex + 1] : null;

let toolIds = 0;

/** The text of a message's content (a string, or the text blocks of a list). */
function textOf(message) {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return message.content
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("\n");
}

const SCRIPT = /```yokeflow-script\s*\n([\s\S]*?)\n```/g;

/** The script of the latest user message that has one, and how many steps of it were played since. */
function scriptState(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.role !== "user") continue;
    const blocks = [...textOf(message).matchAll(SCRIPT)];
    if (blocks.length === 0) continue;
    const steps = JSON.parse(blocks[blocks.length - 1][1]);
    // Each played step is one answer of ours, an assistant message in the history: a tool call (its result comes
    // back in the next user message) or a `say` that ended a turn (a later user message, e.g. YokeFlow's list of
    // what to fix in a file, then continues the script where it stopped).
    // Consecutive assistant messages count once: one answer may come back split into its blocks.
    const later = messages.slice(i + 1);
    const played = later.filter((m, k) => m.role === "assistant" && (k === 0 || later[k - 1].role !== "assistant")).length;
    return { steps, played };
  }
  return null;
}

/** The answer to one request: `{text}` (ends the turn) or `{text?, tool, input}`. */
function decide(body) {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return { text: "YokeFlow task" };
  const state = scriptState(body.messages ?? []);
  if (state === null) return { text: "There is no script in this prompt; nothing to do." };
  const step = state.steps[state.played];
  if (step === undefined) return { text: "Done." };
  if (step.say !== undefined) return { text: step.say };
  return { text: step.text, tool: step.tool, input: step.input ?? {} };
}

function sse(res, type, data) {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function answer(res, body, decision) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const inputTokens = 1000 + JSON.stringify(body.messages ?? []).length / 4;
  sse(res, "message_start", {
    message: {
      id: `msg_${Date.now()}_${toolIds}`,
      type: "message",
      role: "assistant",
      model: body.model ?? "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: Math.round(inputTokens), output_tokens: 1 },
    },
  });
  let index = 0;
  if (decision.text !== undefined) {
    sse(res, "content_block_start", { index, content_block: { type: "text", text: "" } });
    sse(res, "content_block_delta", { index, delta: { type: "text_delta", text: decision.text } });
    sse(res, "content_block_stop", { index });
    index++;
  }
  if (decision.tool !== undefined) {
    const id = `toolu_yokeflow_${++toolIds}`;
    sse(res, "content_block_start", { index, content_block: { type: "tool_use", id, name: decision.tool, input: {} } });
    sse(res, "content_block_delta", {
      index,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(decision.input) },
    });
    sse(res, "content_block_stop", { index });
  }
  sse(res, "message_delta", {
    delta: { stop_reason: decision.tool !== undefined ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: 50 },
  });
  sse(res, "message_stop", {});
  res.end();
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== "/v1/messages") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: `no ${req.method} ${path}` } }));
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "not JSON" } }));
      return;
    }
    if (logFile !== null) appendFileSync(logFile, JSON.stringify(body) + "\n");
    let decision;
    try {
      decision = decide(body);
    } catch (error) {
      decision = { text: `The script could not be read: ${error}` };
    }
    answer(res, body, decision);
  });
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
