#!/usr/bin/env node
// A scripted stand-in for OpenAI's Responses API, for driving the real Codex CLI offline in tests.
//
// Start: `node tests/fake-openai/server.mjs [--log FILE]`. It listens on 127.0.0.1 on a free port and prints
// `listening on http://127.0.0.1:PORT` as its first line; point the CLI at it with a custom model provider
// (`-c model_provider=fake -c 'model_providers.fake.base_url="http://127.0.0.1:PORT/v1"'
// -c 'model_providers.fake.wire_api="responses"' -c 'model_providers.fake.env_key="OPENAI_API_KEY"'`).
//
// What the model "does" is written in the prompt: a fenced block
//
//     ```yokeflow-script
//     [{"shell": "printf 'hi\\n' > a.txt"},
//      {"say": "Task one is done."}]
//     ```
//
// in the latest user message that has one (a task's prompt, or a follow-up remark). Each answer plays the next step:
// the number of our answers since that message says how far the script got. A `shell` step answers with a call of
// Codex's `exec` tool (JavaScript that runs `tools.exec_command({cmd})`; the CLI runs the command for real, in its
// sandbox); a `say` step, or the end of the script, answers with a message and ends the turn.
//
// Every request body is appended, one JSON a line, to the `--log` file.
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const args = process.argv.slice(2);
const logIndex = args.indexOf("--log");
const logFile = logIndex >= 0 ? args[logIndex + 1] : null;

let ids = 0;

/** The text of an input message (a string, or its `input_text` parts). */
function textOf(item) {
  if (typeof item.content === "string") return item.content;
  if (!Array.isArray(item.content)) return "";
  return item.content
    .filter((part) => part.type === "input_text" || part.type === "output_text")
    .map((part) => part.text)
    .join("\n");
}

const SCRIPT = /```yokeflow-script\s*\n([\s\S]*?)\n```/g;

/** Our answers in a conversation: each is one output item (a tool call, or an assistant message). */
function isOurs(item) {
  return (
    item.type === "custom_tool_call" ||
    item.type === "function_call" ||
    (item.type === "message" && item.role === "assistant")
  );
}

/** The script of the latest user message that has one, and how many steps of it were played since. */
function scriptState(input) {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item.type !== "message" || item.role !== "user") continue;
    const blocks = [...textOf(item).matchAll(SCRIPT)];
    if (blocks.length === 0) continue;
    const steps = JSON.parse(blocks[blocks.length - 1][1]);
    const played = input.slice(i + 1).filter(isOurs).length;
    return { steps, played };
  }
  return null;
}

/** The one output item that answers `body`. */
function decide(body) {
  const input = Array.isArray(body.input) ? body.input : [];
  const state = scriptState(input);
  const say = (text) => ({
    type: "message",
    role: "assistant",
    id: `msg_${++ids}`,
    status: "completed",
    content: [{ type: "output_text", text, annotations: [] }],
  });
  if (state === null) return say("There is no script in this prompt; nothing to do.");
  const step = state.steps[state.played];
  if (step === undefined) return say("Done.");
  if (step.say !== undefined) return say(step.say);
  const source = `const r = await tools.exec_command({ cmd: ${JSON.stringify(step.shell)}, login: false });\ntext(r.output);`;
  return { type: "custom_tool_call", id: `ctc_${++ids}`, call_id: `call_${ids}`, name: "exec", input: source, status: "completed" };
}

function answer(res, body, item) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  let seq = 0;
  const event = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const id = `resp_${++ids}`;
  const inputTokens = 1000 + Math.round(JSON.stringify(body.input ?? []).length / 4);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 40,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + 40,
  };
  event("response.created", { response: { id, object: "response", status: "in_progress", output: [] } });
  event("response.output_item.added", { output_index: 0, item });
  if (item.type === "message") {
    const text = item.content[0].text;
    event("response.output_text.delta", { output_index: 0, item_id: item.id, content_index: 0, delta: text });
  }
  event("response.output_item.done", { output_index: 0, item });
  event("response.completed", { response: { id, object: "response", status: "completed", output: [item], usage } });
  res.end();
}

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (chunk) => (raw += chunk));
  req.on("end", () => {
    if (req.method !== "POST" || !req.url.endsWith("/responses")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `no ${req.method} ${req.url} here`, type: "not_found" } }));
      return;
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "the body is not JSON", type: "invalid_request_error" } }));
      return;
    }
    if (logFile) appendFileSync(logFile, `${JSON.stringify(body)}\n`);
    answer(res, body, decide(body));
  });
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
