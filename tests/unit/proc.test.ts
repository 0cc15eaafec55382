import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeFailure, runProcess } from "../../src/proc/run.ts";

const P = (n: string): string => join(import.meta.dir, "../../fixtures/proc", n);
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

/** Alive and not a zombie (an orphan's zombie lingers until init reaps it, which some containers never do). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

test("a clean exit", async () => {
  const r = await runProcess(["sh", P("ok.sh")], { env });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toBe("ok\n");
});

test("a failure message leads with the command, exit code and stderr", async () => {
  const r = await runProcess(["sh", P("crash.sh")], { env });
  expect(r.exitCode).toBe(3);
  expect(describeFailure(r)).toMatch(/crash\.sh exited 3 \(failed\) after .*s\nboom/);
});

test("a timeout kills the whole process group, grandchildren included", async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), "sekft-proc-")), "child.pid");
  const r = await runProcess(["sh", P("hang.sh"), pidFile], { env, timeoutMs: 300, killGraceMs: 200 });
  expect(r.timedOut).toBe(true);
  expect(describeFailure(r)).toContain("timed out");
  const child = Number(readFileSync(pidFile, "utf8"));
  for (let i = 0; i < 50 && alive(child); i++) await Bun.sleep(20);
  expect(alive(child)).toBe(false);
});

test("an abort signal stops the process", async () => {
  const ac = new AbortController();
  const pending = runProcess(["sleep", "30"], { env, signal: ac.signal, killGraceMs: 100 });
  ac.abort();
  const r = await pending;
  expect(r.aborted).toBe(true);
  expect(r.exitCode).not.toBe(0);
});

test("output is capped to its tail", async () => {
  const r = await runProcess(["sh", P("noisy.sh")], { env, maxOutput: 1024 });
  expect(r.stderr.length).toBeLessThanOrEqual(1024);
  expect(r.stderr.endsWith("last\n")).toBe(true);
});
