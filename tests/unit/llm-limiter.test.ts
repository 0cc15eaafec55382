import { afterEach, expect, test } from "bun:test";
import { authorBundleWithModel, type TeacherConfig } from "../../src/llm/teacher.ts";
import { createLimiter, type Limiter } from "../../src/llm/limiter.ts";
import { InterruptedError } from "../../src/errors.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/openai-server.ts";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs 8 authoring calls at once against a server that holds requests until no new one has arrived for a moment. */
async function burst(shared: Limiter | undefined) {
  const held: Array<() => void> = [];
  let settle: ReturnType<typeof setTimeout> | undefined;
  server = await startFakeOpenAI(async () => {
    // Holding until arrivals settle lets every request the client is willing to send pile up at once.
    await new Promise<void>((resolve) => {
      held.push(resolve);
      clearTimeout(settle);
      settle = setTimeout(() => {
        for (const r of held.splice(0)) r();
      }, 20);
    });
    return { content: '{"ok":true}', usage: { prompt_tokens: 1, completion_tokens: 1 } };
  });
  const teacher: TeacherConfig = { base_url: server.url, model: "m", api_key_env: "", concurrency: 3, timeout_s: 5, max_attempts: 1 };
  const signal = new AbortController().signal;
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => authorBundleWithModel({ cell: { i }, prompt: "p", teacher, env: {}, signal, limiter: shared })),
  );
  expect(results.every((r) => r.ok)).toBe(true);
  expect(server.requests).toHaveLength(8);
  return server.maxInFlight;
}

test("a shared limiter bounds simultaneous requests at the server across calls", async () => {
  const limiter = createLimiter(3);
  expect(await burst(limiter)).toBe(3);
  expect(limiter.active).toBe(0);
});

test("control: without a shared limiter the same burst exceeds the bound, so the test above can fail", async () => {
  expect(await burst(undefined)).toBeGreaterThan(3);
});

test("limiter: FIFO slots, release on failure, aborted waiters leave the queue", async () => {
  const limiter = createLimiter(1);
  const order: string[] = [];
  let unblock!: () => void;
  const first = limiter.run(() => new Promise<string>((r) => (unblock = () => r("first"))));
  const ac = new AbortController();
  const aborted = limiter.run(async () => "never", ac.signal);
  const failing = limiter.run(async () => {
    order.push("failing");
    throw new Error("task failed");
  });
  const last = limiter.run(async () => {
    order.push("last");
    return "last";
  });
  expect(limiter.active).toBe(1);
  expect(limiter.pending).toBe(3);
  ac.abort();
  await expect(aborted).rejects.toBeInstanceOf(InterruptedError);
  expect(limiter.pending).toBe(2);
  unblock();
  expect(await first).toBe("first");
  await expect(failing).rejects.toThrow("task failed");
  expect(await last).toBe("last");
  expect(order).toEqual(["failing", "last"]);
  expect(limiter.active).toBe(0);
  expect(() => createLimiter(0)).toThrow(RangeError);
});
