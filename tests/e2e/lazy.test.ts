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
}, 120_000);

test("the detector itself works: a command that needs dockerode trips it", async () => {
  const r = await runWithPreload(["sandbox", "check"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("forbidden: ");
  expect(r.stderr).toContain("dockerode");
});

const FORBID = join(ROOT, "fixtures/preload/forbid-modules.ts");

// What `--help` must never load: any command module (the top-level list comes from the summaries), the config
// (its text, the TOML parser, zod), the logger, the engines, the embedded Dockerfile, any feature code.
const NOT_ON_HELP = [
  "node_modules/(dockerode|openai|zod|@iarna/toml|consola|tar-stream)/",
  "src/(config|witness|shell|sandbox|rollout|view|eval|scale|dataset|llm|trace|doctor|ui|proc|pool)/",
  String.raw`src/commands/(?!_summaries\.ts$)`,
  String.raw`config\.toml$`,
  "Dockerfile$",
].join("|");

async function runForbidding(pattern: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([process.execPath, "--preload", FORBID, join(ROOT, "src/cli.ts"), ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), SEKFT_FORBID: pattern },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, stdout, stderr };
}

test("--help loads citty and the summaries only: no command, config, logger, engine or feature module", async () => {
  const r = await runForbidding(NOT_ON_HELP, ["--help"]);
  expect(r.stderr).not.toContain("forbidden");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("doctor");
});

test("--version loads nothing but the version, not even citty", async () => {
  const r = await runForbidding(`${NOT_ON_HELP}|node_modules/citty/|src/(errors|signals)\\.ts$`, ["--version"]);
  expect(r.stderr).not.toContain("forbidden");
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});

test("the module detector trips: a command's --help loads its module, which --help alone must not", async () => {
  const r = await runForbidding(NOT_ON_HELP, ["gen", "--help"]);
  expect(r.stderr).toContain("forbidden: ");
  expect(r.code).not.toBe(0);
});
