import { expect, test } from "bun:test";
import { join } from "node:path";
import { cleanEnv, ROOT } from "../helpers/cli.ts";

const PRELOAD = join(ROOT, "fixtures/preload/forbid-heavy.ts");

async function runWithPreload(args: string[]): Promise<{ code: number; stderr: string }> {
  const p = Bun.spawn([process.execPath, "--preload", PRELOAD, join(ROOT, "src/cli.ts"), ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  return { code, stderr };
}

test("--help, config and doctor never evaluate dockerode or openai", async () => {
  for (const args of [
    ["--help"],
    ["gen", "--help"],
    ["verify", "--help"],
    ["eval", "--help"],
    ["export", "harbor", "--help"],
    ["import", "harbor", "--help"],
    ["sandbox", "--help"],
    ["config", "print"],
    ["doctor", "--json"],
  ]) {
    const r = await runWithPreload(args);
    expect(r.stderr, args.join(" ")).not.toContain("forbidden");
  }
});

test("the detector itself works: a command that needs dockerode trips it", async () => {
  const r = await runWithPreload(["sandbox", "check"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("forbidden: ");
  expect(r.stderr).toContain("dockerode");
});
