import { afterEach, describe, expect, test } from "bun:test";
import { authorBundleWithModel, type TeacherConfig } from "../../src/llm/teacher.ts";
import { BadReplyError, backoffDelayMs, retryPolicyOf, withRetry } from "../../src/llm/retry.ts";
import { InterruptedError } from "../../src/errors.ts";
import { hangUntilClientLeaves, startFakeOpenAI, type FakeOpenAI } from "../helpers/openai-server.ts";

const KEY = "sk-retry-abcdefghijklmnop";
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function author(url: string, over: Partial<TeacherConfig> = {}, signal = new AbortController().signal) {
  const teacher: TeacherConfig = { base_url: url, model: "m", api_key_env: "K", concurrency: 1, timeout_s: 5, max_attempts: 2, ...over };
  return authorBundleWithModel({ cell: {}, prompt: "p", teacher, env: { K: KEY }, signal, backoffMs: 1 });
}

describe("transport retries", () => {
  test("429 with Retry-After is retried after at least the asked delay, then succeeds", async () => {
    const seen: number[] = [];
    server = await startFakeOpenAI((_b, _r, n) => {
      seen.push(performance.now());
      return n === 1 ? { status: 429, content: "slow down", headers: { "retry-after-ms": "60" } } : { content: '{"id":"x"}' };
    });
    const r = await author(server.url);
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(server.requests).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(55);
  });

  test("500s are retried until one succeeds", async () => {
    server = await startFakeOpenAI((_b, _r, n) =>
      n < 3 ? { status: n === 1 ? 500 : 503, content: "upstream down" } : { content: '{"id":"y"}', usage: { prompt_tokens: 3, completion_tokens: 1 } },
    );
    const r = await author(server.url, { max_attempts: 3 });
    expect(r).toEqual({ ok: true, raw: { id: "y" }, usage: { prompt_tokens: 3, completion_tokens: 1 }, attempts: 1 });
    expect(server.requests).toHaveLength(3);
  });

  test("persistent 500s give up after the teacher's max_attempts tries with a reason naming the status, the count and the endpoint", async () => {
    server = await startFakeOpenAI(() => ({ status: 500, content: "always broken" }));
    const r = await author(server.url, { max_attempts: 3 });
    expect(r.ok).toBe(false);
    expect(server.requests).toHaveLength(3);
    if (!r.ok) {
      expect(r.reason).toContain(`teacher: the model m at ${server.url} answered HTTP 500 (after 3 tries): 500 always broken`);
      expect(r.reason).not.toContain(KEY);
    }
  });

  test("a 200 error body is retried max_attempts times, then the teacher gives up without a correction request", async () => {
    server = await startFakeOpenAI(() => Response.json({ error: { message: "overloaded" } }));
    const r = await author(server.url, { max_attempts: 2 });
    expect(server.requests).toHaveLength(2);
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    if (!r.ok) expect(r.reason).toContain("answered no chat completion (after 2 tries): an error body: overloaded");
  });

  test("400 is not retried", async () => {
    server = await startFakeOpenAI(() => ({ status: 400, content: "bad model name" }));
    const r = await author(server.url);
    expect(r.ok).toBe(false);
    expect(server.requests).toHaveLength(1);
    if (!r.ok) expect(r.reason).toContain("HTTP 400");
  });

  test("a request that outlives timeout_s is abandoned and retried, then reported as a timeout", async () => {
    server = await startFakeOpenAI((_b, req) => hangUntilClientLeaves(req));
    const r = await author(server.url, { timeout_s: 0.05 });
    expect(r.ok).toBe(false);
    expect(server.requests).toHaveLength(2);
    if (!r.ok) expect(r.reason).toContain("timed out after 0.05s");
  });

  test("an unreachable server is a reason, not a crash", async () => {
    server = await startFakeOpenAI(() => ({ content: "{}" }));
    const url = server.url;
    await server.close();
    server = undefined;
    const r = await author(url);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain("teacher: cannot reach the model m at");
  });

  test("aborting the run signal interrupts a hanging request", async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((r) => (arrived = r));
    server = await startFakeOpenAI((_b, req) => {
      arrived();
      return hangUntilClientLeaves(req);
    });
    const ac = new AbortController();
    const pending = author(server.url, { timeout_s: 30 }, ac.signal);
    await arrival;
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe("retry policy", () => {
  const policy = { maxTries: 3, baseMs: 100, maxMs: 1000, waitBudgetMs: 5000 };

  test("exponential backoff stays within [ceiling/2, ceiling] and respects maxMs", () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(50);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(1000);
  });

  test("an endpoint's policy: max_attempts tries, timeout_s of waiting", () => {
    expect(retryPolicyOf({ max_attempts: 3, timeout_s: 120 })).toMatchObject({ maxTries: 3, waitBudgetMs: 120_000 });
  });

  test("withRetry retries a bad reply exactly maxTries times", async () => {
    let calls = 0;
    const r = await withRetry(
      async () => {
        calls++;
        throw new BadReplyError("no choices");
      },
      { policy: { ...policy, baseMs: 1, maxMs: 1 }, signal: new AbortController().signal },
    );
    expect(r).toMatchObject({ ok: false, tries: 3 });
    expect(calls).toBe(3);
  });

  test("withRetry does not retry a plain error and reports one try", async () => {
    let calls = 0;
    const r = await withRetry(
      async () => {
        calls++;
        throw new Error("logic");
      },
      { policy, signal: new AbortController().signal },
    );
    expect(r.ok).toBe(false);
    expect(calls).toBe(1);
  });
});
