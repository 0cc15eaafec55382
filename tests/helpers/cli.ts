import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

/** Runs sekft from source, or the compiled binary when SEKFT_BIN is set, with an explicit clean env. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  bin?: string;
  stdin?: string;
  timeoutMs?: number;
}

/** A clean environment: temp HOME, no colour, PATH with the cached witness build, no API keys. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "sekft-home-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    NO_COLOR: "1",
    TMPDIR: tmpdir(),
  };
  for (const k of ["SEKFT_WITNESS", "DOCKER_HOST", "SEKFT_TOOLS_DIR", "XDG_CACHE_HOME"]) {
    if (process.env[k]) env[k] = process.env[k]!;
  }
  // Keep the real cache dir so the witness build is found even with a temp HOME.
  if (!env.SEKFT_TOOLS_DIR) env.SEKFT_TOOLS_DIR = join(process.env.HOME ?? "/root", ".cache/sekft/tools");
  return { ...env, ...extra };
}

export function binCommand(bin = process.env.SEKFT_BIN): string[] {
  if (bin) return [resolve(ROOT, bin)];
  return [process.execPath, join(ROOT, "src/cli.ts")];
}

/**
 * The pids of every sekft this test file started through runCli: `labelled()` counts only their containers, so
 * another test group (or another run) using the same engine at the same time does not make it fail.
 */
export const startedPids = new Set<number>();

export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const proc = Bun.spawn([...binCommand(opts.bin), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? cleanEnv(),
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  startedPids.add(proc.pid);
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** In CI a missing dependency is a failure; on a laptop the test may be skipped. */
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
