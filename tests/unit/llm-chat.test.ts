import { afterEach, expect, test } from "bun:test";
import { ChatClient, type ChatEndpoint } from "../../src/llm/chat.ts";
import { TokenLedger } from "../../src/llm/ledger.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../helpers/openai-server.ts";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const endpoint = (url: string, over: Partial<ChatEndpoint> = {}): ChatEndpoint => ({
  base_url: url,
  model: "op",
  api_key_env: "",
  concurrency: 1,
  timeout_s: 5,
  max_attempts: 3,
  ...over,
});
const signal = new AbortController().signal;

test("the generic chat call sends the messages as given, records usage in the ledger and returns the text", async () => {
  server = await startFakeOpenAI(async () => {
    await Bun.sleep(30);
    return { content: "ls -la", usage: { prompt_tokens: 11, completion_tokens: 3 } };
  });
  const ledger = new TokenLedger();
  const chat = ChatClient.create(endpoint(server.url), {}, { ledger });
  const messages = [
    { role: "system" as const, content: "scaffold" },
    { role: "user" as const, content: "$ " },
  ];
  const r = await chat.send({ messages, label: "episode-1", maxTokens: 64, signal });
  expect(r).toMatchObject({ ok: true, content: "ls -la", usage: { prompt_tokens: 11, completion_tokens: 3 } });
  expect(server.requests[0].messages).toEqual(messages);
  expect(server.requests[0].max_tokens).toBe(64);
  expect(server.requests[0].response_format).toBeUndefined();
  expect(ledger.totals()).toMatchObject({ requests: 1, total_tokens: 14 });
  expect(ledger.entries[0]!.label).toBe("episode-1");
  // Each call's wall clock, retries included, in the ledger and the totals.
  expect(ledger.entries[0]!.seconds).toBeGreaterThanOrEqual(0.03);
  expect((r as { seconds: number }).seconds).toBe(ledger.entries[0]!.seconds);
  expect(ledger.totals().seconds).toBe(ledger.entries[0]!.seconds);
});

test("a 5xx then a good reply: retried, one answer; a dead server is an infra error naming the endpoint — none throws", async () => {
  server = await startFakeOpenAI((_b, _r, n) => (n === 1 ? { content: "", status: 503 } : { content: "pwd" }));
  const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
  const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(server.requests).toHaveLength(2);
  expect(r).toMatchObject({ ok: true, content: "pwd" });
  const dead = ChatClient.create(endpoint("http://127.0.0.1:9/v1", { max_attempts: 2 }), {}, { backoffMs: 1 });
  const d = await dead.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(d).toMatchObject({ ok: false, kind: "infra" });
  if (!d.ok) expect(d.reason).toContain("cannot reach the model op at http://127.0.0.1:9/v1 (after 2 tries)");
});

const json = (body: unknown) => () => Response.json(body);
const raw = (text: string) => () => new Response(text, { headers: { "content-type": "application/json" } });
/** Every way an endpoint can fail to give a completion: each is the endpoint's failure, never the model's reply. */
const BAD: Record<string, () => Response> = {
  "an error body on a 200": json({ error: { message: "overloaded", type: "server_error" } }),
  "an error string on a 200": json({ error: "overloaded" }),
  "a body without choices": json({ id: "x", object: "chat.completion" }),
  "empty choices": json({ id: "x", object: "chat.completion", choices: [] }),
  "a choice without a message": json({ choices: [{ index: 0, finish_reason: "stop" }] }),
  "a choice whose message is null": json({ choices: [{ index: 0, message: null, finish_reason: "stop" }] }),
  "a choice that is an error": json({
    choices: [{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "error", error: { message: "upstream" } }],
  }),
  "a body that is not JSON": raw("<html>502 proxy error</html>"),
  "a body cut short": raw('{"id":"x","choices":[{"index":0,"message":{"role":"assis'),
  "HTTP 500": () => Response.json({ error: { message: "boom" } }, { status: 500 }),
  "HTTP 503": () => Response.json({ error: { message: "unavailable" } }, { status: 503 }),
  "HTTP 429 without Retry-After": () => Response.json({ error: { message: "rate limited" } }, { status: 429 }),
};

const KEY = "sk-chat-abcdefghijklmnopqrstuv";
for (const [kind, reply] of Object.entries(BAD)) {
  test(`${kind}: an infra error, tried exactly max_attempts times, naming the endpoint and the real count, never the key`, async () => {
    server = await startFakeOpenAI(reply);
    const ledger = new TokenLedger();
    const chat = ChatClient.create(endpoint(server.url, { api_key_env: "K", max_attempts: 4 }), { K: KEY }, { backoffMs: 1, ledger });
    const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
    expect(server.requests).toHaveLength(4);
    expect(r).toMatchObject({ ok: false, kind: "infra" });
    if (!r.ok) {
      expect(r.reason).toContain(`the model op at ${server.url}`);
      expect(r.reason).toContain("(after 4 tries)");
      expect(r.reason).not.toContain(KEY);
    }
    expect(ledger.totals().requests).toBe(0);
  });
}

test("one bad body then a completion: retried within the same request, the model's reply comes back", async () => {
  server = await startFakeOpenAI((_b, _r, n) => (n === 1 ? Response.json({ error: { message: "overloaded" } }) : { content: "ls" }));
  const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
  expect(await chat.send({ messages: [{ role: "user", content: "hi" }], signal })).toMatchObject({ ok: true, content: "ls" });
  expect(server.requests).toHaveLength(2);
});

test("a message with null content is the model's (empty) reply, not an infra error", async () => {
  server = await startFakeOpenAI(json({ choices: [{ index: 0, message: { role: "assistant", content: null }, finish_reason: "stop" }] }));
  const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
  expect(await chat.send({ messages: [{ role: "user", content: "hi" }], signal })).toMatchObject({ ok: true, content: "" });
  expect(server.requests).toHaveLength(1);
});

test("a client error (400, 401, 404) is an infra error at once: the same request would get the same answer", async () => {
  for (const status of [400, 401, 404]) {
    server = await startFakeOpenAI(() => Response.json({ error: { message: `no (${status})` } }, { status }));
    const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
    const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
    expect(r).toMatchObject({ ok: false, kind: "infra" });
    if (!r.ok) expect(r.reason).toContain(`answered HTTP ${status} (after 1 try)`);
    expect(server.requests).toHaveLength(1);
    await server.close();
    server = undefined;
  }
});

test("a Retry-After beyond the wait budget (timeout_s) is an infra error at once, not a long sleep", async () => {
  server = await startFakeOpenAI(() => Response.json({ error: { message: "come back later" } }, { status: 429, headers: { "retry-after": "3600" } }));
  const chat = ChatClient.create(endpoint(server.url, { timeout_s: 2 }), {}, { backoffMs: 1 });
  const t0 = performance.now();
  const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(performance.now() - t0).toBeLessThan(1500);
  expect(server.requests).toHaveLength(1);
  expect(r).toMatchObject({ ok: false, kind: "infra" });
  if (!r.ok)
    expect(r.reason).toMatch(/asked to wait 3600s \(Retry-After\), beyond the 2s left of its 2s wait budget \(timeout_s\) \(after 1 try\): answered HTTP 429/);
});

test("Retry-After waits count against the budget: the one that no longer fits ends the retries", async () => {
  // timeout_s = 1: 600 ms fits, a second 600 ms does not (400 ms left).
  server = await startFakeOpenAI(() => Response.json({ error: { message: "slow down" } }, { status: 429, headers: { "retry-after-ms": "600" } }));
  const chat = ChatClient.create(endpoint(server.url, { timeout_s: 1, max_attempts: 5 }), {}, { backoffMs: 1 });
  const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(server.requests).toHaveLength(2);
  if (!r.ok) expect(r.reason).toContain("beyond the 0.4s left of its 1s wait budget (timeout_s) (after 2 tries)");
  else throw new Error("expected an infra error");
});

test("once a server refuses response_format, the client stops sending it", async () => {
  server = await startFakeOpenAI((body) =>
    body.response_format ? Response.json({ error: { message: "response_format is not supported" } }, { status: 400 }) : { content: "{}" },
  );
  const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
  expect((await chat.send({ messages: [{ role: "user", content: "a" }], json: true, signal })).ok).toBe(true);
  expect((await chat.send({ messages: [{ role: "user", content: "b" }], json: true, signal })).ok).toBe(true);
  expect(server.requests.map((r) => Boolean(r.response_format))).toEqual([true, false, false]);
});

test("a caller's deadline that ends the retries of a failing endpoint is an infra error, not an interrupt", async () => {
  server = await startFakeOpenAI(() => Response.json({ error: { message: "overloaded" } }, { status: 503, headers: { "retry-after-ms": "150" } }));
  const chat = ChatClient.create(endpoint(server.url, { max_attempts: 50 }), {}, { backoffMs: 1 });
  const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal: AbortSignal.timeout(400) });
  expect(r).toMatchObject({ ok: false, kind: "infra" });
  if (!r.ok) expect(r.reason).toMatch(/answered HTTP 503 \(after \d tries\): .*overloaded; the caller's deadline came before the next try/);
});

test("an interrupt (the run's signal) still throws, even while retrying", async () => {
  server = await startFakeOpenAI(() => ({ status: 503, content: "down" }));
  const chat = ChatClient.create(endpoint(server.url, { max_attempts: 50 }), {}, { backoffMs: 100 });
  const run = new AbortController();
  setTimeout(() => run.abort(new Error("received SIGINT")), 250);
  await expect(chat.send({ messages: [{ role: "user", content: "hi" }], signal: run.signal })).rejects.toThrow();
  expect(server.requests.length).toBeGreaterThan(1);
});
