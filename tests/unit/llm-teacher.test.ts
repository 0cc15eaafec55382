import { afterEach, describe, expect, test } from "bun:test";
import { authorBundleWithModel, type TeacherConfig } from "../../src/llm/teacher.ts";
import { TokenLedger } from "../../src/llm/ledger.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/openai-server.ts";

const KEY = "sk-test-0123456789abcdefSECRET";
const env = { TEACHER_KEY: KEY };
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function teacher(url: string, over: Partial<TeacherConfig> = {}): TeacherConfig {
  return { base_url: url, model: "fake-teacher", api_key_env: "TEACHER_KEY", concurrency: 2, timeout_s: 5, max_attempts: 3, ...over };
}

function author(url: string, over: Partial<TeacherConfig> = {}, extra: { validate?: (raw: unknown) => string | null; ledger?: TokenLedger } = {}) {
  return authorBundleWithModel({
    cell: { task: "rename", terminal: "exit" },
    prompt: "You write bundles.",
    teacher: teacher(url, over),
    env,
    signal: new AbortController().signal,
    backoffMs: 2,
    ...extra,
  });
}

describe("authorBundleWithModel", () => {
  test("valid JSON on the first try: one request, prompt and cell sent, json mode asked, key sent", async () => {
    server = await startFakeOpenAI(() => ({ content: '{"id":"b1","fixtures":[]}', usage: { prompt_tokens: 11, completion_tokens: 7 } }));
    const ledger = new TokenLedger();
    const r = await author(server.url, {}, { ledger });
    expect(r).toEqual({ ok: true, raw: { id: "b1", fixtures: [] }, usage: { prompt_tokens: 11, completion_tokens: 7 }, attempts: 1 });
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0];
    expect(body.model).toBe("fake-teacher");
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.messages[0]).toEqual({ role: "system", content: "You write bundles." });
    expect(JSON.parse(body.messages[1].content)).toEqual({ task: "rename", terminal: "exit" });
    expect(server.authorizations[0]).toBe(`Bearer ${KEY}`);
    expect(ledger.totals()).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, requests: 1 });
  });

  test("JSON inside a ```json fence with prose around it is extracted", async () => {
    server = await startFakeOpenAI(() => ({ content: 'Here it is:\n```json\n{"id": "b2", "note": "a } brace"}\n```\nEnjoy.' }));
    const r = await author(server.url);
    expect(r.ok && r.raw).toEqual({ id: "b2", note: "a } brace" });
  });

  test("garbage then valid: two attempts, usage summed, the reason fed back in a fresh request", async () => {
    server = await startFakeOpenAI((_b, _r, n) =>
      n === 1
        ? { content: "I cannot do JSON {oops", usage: { prompt_tokens: 10, completion_tokens: 3 } }
        : { content: '{"id":"b3"}', usage: { prompt_tokens: 20, completion_tokens: 5 } },
    );
    const r = await author(server.url);
    expect(r).toEqual({ ok: true, raw: { id: "b3" }, usage: { prompt_tokens: 30, completion_tokens: 8 }, attempts: 2 });
    const second = server.requests[1].messages;
    expect(second).toHaveLength(4);
    expect(second[2]).toEqual({ role: "assistant", content: "I cannot do JSON {oops" });
    expect(second[3].content).toContain("invalid JSON");
  });

  test("a validator's reason triggers another attempt carrying that reason", async () => {
    server = await startFakeOpenAI((_b, _r, n) => ({ content: n === 1 ? '{"id":"../etc"}' : '{"id":"ok"}' }));
    const validate = (raw: unknown) => ((raw as { id: string }).id.includes("..") ? "fixture path leaves the allowed roots" : null);
    const r = await author(server.url, {}, { validate });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(2);
    expect(server.requests[1].messages[3].content).toContain("fixture path leaves the allowed roots");
  });

  test("always garbage: ok:false after exactly max_attempts requests, with the last reason", async () => {
    server = await startFakeOpenAI(() => ({ content: "not json at all", usage: { prompt_tokens: 4, completion_tokens: 2 } }));
    const r = await author(server.url, { max_attempts: 4 });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(4);
    expect(r.usage).toEqual({ prompt_tokens: 16, completion_tokens: 8 });
    expect(server.requests).toHaveLength(4);
    if (!r.ok) expect(r.reason).toMatch(/no valid reply after 4 attempts; last: attempt 4\/4: invalid JSON/);
  });

  test("a JSON array is a failed attempt; a 200 that is not a completion is retried as an infra error, not an attempt", async () => {
    server = await startFakeOpenAI((_b, _r, n) =>
      n === 1
        ? { content: "[1,2]" }
        : n === 2
          ? new Response("<html>proxy error</html>", { status: 200, headers: { "content-type": "application/json" } })
          : { content: '{"id":"b4"}' },
    );
    const r = await author(server.url);
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(2);
    expect(server.requests).toHaveLength(3);
  });

  test("a server that rejects response_format is asked again without it", async () => {
    server = await startFakeOpenAI((body) =>
      body.response_format ? { status: 400, content: "response_format is not supported" } : { content: '{"id":"b5"}' },
    );
    const r = await author(server.url);
    expect(r).toMatchObject({ ok: true, raw: { id: "b5" }, attempts: 1 });
    expect(server.requests).toHaveLength(2);
  });

  test("a validator that throws is a reason, not a crash", async () => {
    server = await startFakeOpenAI(() => ({ content: '{"id":"b6"}' }));
    const r = await author(
      server.url,
      { max_attempts: 2 },
      {
        validate: () => {
          throw new Error("boom");
        },
      },
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain("validator failed: boom");
  });

  test('api_key_env = "" sends a placeholder, not an env value', async () => {
    server = await startFakeOpenAI(() => ({ content: '{"id":"b7"}' }));
    const r = await authorBundleWithModel({
      cell: {},
      prompt: "p",
      teacher: teacher(server.url, { api_key_env: "" }),
      env: {},
      signal: new AbortController().signal,
    });
    expect(r.ok).toBe(true);
    expect(server.authorizations[0]).not.toContain(KEY);
  });
});
