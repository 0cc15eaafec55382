import { afterEach, expect, test } from "bun:test";
import { ChatClient, type ChatEndpoint } from "../../src/llm/chat.ts";
import { TokenLedger } from "../../src/llm/ledger.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../helpers/openai-server.ts";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const endpoint = (url: string): ChatEndpoint => ({ base_url: url, model: "op", api_key_env: "", concurrency: 1, timeout_s: 5 });
const signal = new AbortController().signal;

test("the generic chat call sends the messages as given, records usage in the ledger and returns the text", async () => {
  server = await startFakeOpenAI(() => ({ content: "ls -la", usage: { prompt_tokens: 11, completion_tokens: 3 } }));
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
});

test("a 5xx is retried; a 200 that is no completion is 'malformed'; a dead server is 'transport' — none throws", async () => {
  server = await startFakeOpenAI((_b, _r, n) =>
    n === 1 ? { content: "", status: 503 } : new Response("{}", { headers: { "content-type": "application/json" } }),
  );
  const chat = ChatClient.create(endpoint(server.url), {}, { backoffMs: 1 });
  const r = await chat.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(server.requests).toHaveLength(2);
  expect(r).toMatchObject({ ok: false, kind: "malformed" });
  const dead = ChatClient.create(endpoint("http://127.0.0.1:9/v1"), {}, { backoffMs: 1 });
  const d = await dead.send({ messages: [{ role: "user", content: "hi" }], signal });
  expect(d).toMatchObject({ ok: false, kind: "transport" });
  if (!d.ok) expect(d.reason).toContain("cannot reach the model op at http://127.0.0.1:9/v1");
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
