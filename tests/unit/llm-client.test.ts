import { afterEach, expect, test } from "bun:test";
import { authorBundleWithModel, type TeacherConfig } from "../../src/llm/teacher.ts";
import { resolveApiKey } from "../../src/llm/client.ts";
import { redactSecret } from "../../src/llm/redact.ts";
import { DependencyError } from "../../src/errors.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/openai-server.ts";

const KEY = "sk-live-9f8e7d6c5b4a3210ZZZZ";
let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const teacher = (url: string, over: Partial<TeacherConfig> = {}): TeacherConfig => ({
  base_url: url,
  model: "m",
  api_key_env: "TEACHER_KEY",
  concurrency: 1,
  timeout_s: 5,
  max_attempts: 2,
  ...over,
});

test("a missing key env is a DependencyError (exit 2) naming the variable, and no request is sent", async () => {
  server = await startFakeOpenAI(() => ({ content: "{}" }));
  const call = authorBundleWithModel({ cell: {}, prompt: "p", teacher: teacher(server.url), env: { OTHER: "x" }, signal: new AbortController().signal });
  await expect(call).rejects.toBeInstanceOf(DependencyError);
  await expect(call).rejects.toThrow("TEACHER_KEY");
  await call.catch((e: DependencyError) => expect(e.exitCode).toBe(2));
  expect(server.requests).toHaveLength(0);
  expect(() => resolveApiKey(teacher(server!.url), { TEACHER_KEY: "  " })).toThrow(DependencyError);
  expect(resolveApiKey(teacher(server.url, { api_key_env: "" }), {})).toBeNull();
});

test("the API key never appears in a reason, even when the server echoes it whole or masked", async () => {
  const masked = `${KEY.slice(0, 10)}****${KEY.slice(-8)}`;
  server = await startFakeOpenAI((_b, req, n) => {
    const auth = req.headers.get("authorization") ?? "";
    if (n === 1) return { content: `not json; you sent ${auth}` };
    return { status: 401, content: `Incorrect API key provided: ${KEY} (${masked}).` };
  });
  const r = await authorBundleWithModel({
    cell: {},
    prompt: "p",
    teacher: teacher(server.url),
    env: { TEACHER_KEY: KEY },
    signal: new AbortController().signal,
    backoffMs: 1,
  });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.reason).toContain("HTTP 401");
  expect(r.reason).toContain("check the key in TEACHER_KEY");
  expect(r.reason).not.toContain(KEY);
  expect(r.reason).not.toContain(KEY.slice(0, 10));
  expect(r.reason).not.toContain(KEY.slice(-8));
  // The echo was fed back in the correction request: that request goes to the same server holding the key.
  expect(JSON.stringify(server.requests[1])).toContain("not json");
});

test("redactSecret leaves ordinary text alone", () => {
  expect(redactSecret("HTTP 500: upstream_timeout after 30s", KEY)).toBe("HTTP 500: upstream_timeout after 30s");
  expect(redactSecret("Authorization: Bearer abc.def", null)).toBe("Authorization: Bearer [redacted]");
});
