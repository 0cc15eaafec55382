import { afterEach, expect, test } from "bun:test";
import type { ChatEndpoint } from "../../src/llm/chat.ts";
import { preflight } from "../../src/llm/preflight.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../helpers/openai-server.ts";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const KEY = "sk-preflight-secret-0123456789abcdef";
const env = { PF_KEY: KEY };
const signal = new AbortController().signal;
const endpoint = (url: string, over: Partial<ChatEndpoint> = {}): ChatEndpoint => ({
  base_url: url,
  model: "qwen-0.5b",
  api_key_env: "PF_KEY",
  concurrency: 1,
  timeout_s: 5,
  max_attempts: 3,
  ...over,
});
/** The error preflight throws, with its exit code. */
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    const e = error as { message: string; hint?: string; exitCode: number };
    return { message: e.message, hint: e.hint ?? "", exitCode: e.exitCode };
  }
  throw new Error("preflight passed");
};

test("a served model listed by /models passes with one GET and no completion", async () => {
  server = await startFakeOpenAI(() => ({ content: "x" }), { models: ["other", "qwen-0.5b"] });
  expect(await preflight(endpoint(server.url), env, signal)).toEqual({ via: "models", served: ["other", "qwen-0.5b"] });
  expect(server.modelListings).toBe(1);
  expect(server.requests).toHaveLength(0);
  expect(server.authorizations).toHaveLength(0);
});

test("a model /models does not list: exit 2 naming the URL and what is served, never the key", async () => {
  server = await startFakeOpenAI(() => ({ content: "x" }), { models: ["llama-3", "mistral"] });
  const f = await failure(preflight(endpoint(server.url), env, signal));
  expect(f.exitCode).toBe(2);
  expect(f.message).toBe(`the model qwen-0.5b is not served at ${server.url}; it serves: llama-3, mistral`);
  expect(`${f.message} ${f.hint}`).not.toContain(KEY.slice(3, 15));
});

test("a dead endpoint: exit 2 naming the URL, at once", async () => {
  const dead = "http://127.0.0.1:9/v1";
  const t0 = performance.now();
  const f = await failure(preflight(endpoint(dead), env, signal));
  expect(performance.now() - t0).toBeLessThan(4000);
  expect(f.exitCode).toBe(2);
  expect(f.message).toContain(`the model endpoint at ${dead} is not reachable`);
  expect(`${f.message} ${f.hint}`).not.toContain(KEY.slice(3, 15));
});

test("no /models route: one completion of max_tokens 1 decides; a 404 to it is an unknown model", async () => {
  server = await startFakeOpenAI(() => ({ content: "" }), { models: null });
  expect(await preflight(endpoint(server.url), env, signal)).toEqual({ via: "completion", served: null });
  expect(server.requests).toHaveLength(1);
  expect(server.requests[0].max_tokens).toBe(1);
  expect(server.requests[0].model).toBe("qwen-0.5b");
  await server.close();

  server = await startFakeOpenAI(() => ({ status: 404, content: "The model `qwen-0.5b` does not exist." }), { models: null });
  const f = await failure(preflight(endpoint(server.url), env, signal));
  expect(f.exitCode).toBe(2);
  expect(f.message).toContain(`the model qwen-0.5b at ${server.url} refused a one-token request (HTTP 404)`);
  expect(f.message).toContain("does not exist");
});

test("an overloaded endpoint passes the probe with a note: the run's retries judge it", async () => {
  server = await startFakeOpenAI(() => ({ status: 503, content: "loading" }), { models: null });
  const r = await preflight(endpoint(server.url), env, signal);
  expect(r.via).toBe("completion");
  expect(r.note).toContain("HTTP 503");
});

test("a refused key is exit 2 naming the variable, not the key, even when the server echoes it", async () => {
  server = await startFakeOpenAI(() => ({ status: 401, content: `bad key ${KEY}` }), { models: null });
  const f = await failure(preflight(endpoint(server.url), env, signal));
  expect(f.exitCode).toBe(2);
  expect(f.message).toContain(`the model endpoint at ${server.url} refused the API key (HTTP 401)`);
  expect(f.hint).toContain("PF_KEY");
  expect(`${f.message} ${f.hint}`).not.toContain(KEY.slice(3, 15));
});

test("an empty /models list names nothing: it passes without a completion", async () => {
  server = await startFakeOpenAI(() => ({ content: "x" }));
  expect(await preflight(endpoint(server.url), env, signal)).toEqual({ via: "models", served: [] });
  expect(server.requests).toHaveLength(0);
});
