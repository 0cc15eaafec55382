import type { ShellConfig } from "../config/shell-schema.ts";
import type { DockerEngine } from "../sandbox/docker.ts";
import type { SandboxImage } from "../sandbox/image.ts";
import { BASE_ENV, Sandbox } from "../sandbox/container.ts";
import { packFixtures } from "../sandbox/fixtures.ts";
import { Session, type Terminal, type Turn } from "../sandbox/session.ts";
import type { Scenario } from "./bundle.ts";

/** What an episode needs from the run: the engine, the image, limits and the abort signal. */
export interface EpisodeEnv {
  engine: DockerEngine;
  image: SandboxImage;
  sandbox: ShellConfig["sandbox"];
  signal: AbortSignal;
}

/** The outcome of one episode: passed = checker exit 0 and the expected terminal. */
export interface EpisodeResult {
  passed: boolean;
  checkerExit: number;
  checkerOutput: string;
  terminal: Terminal;
  turns: Turn[];
  readyMs: number;
  durationMs: number;
}

/** Runs commands in a fresh container holding the scenario's fixtures, then the checker on the final state. */
export async function runEpisode(env: EpisodeEnv, scenario: Scenario, commands: string[]): Promise<EpisodeResult> {
  const started = performance.now();
  const limits = env.sandbox;
  await using sandbox = await Sandbox.start(env.engine, env.image, limits, env.signal, scenario.env);
  const tars = await packFixtures(scenario.fixtures);
  await Promise.all([...tars].map(([root, tarball]) => sandbox.putArchive(root, tarball)));
  const readyMs = performance.now() - started;
  const session = new Session(sandbox, {
    commandTimeoutMs: limits.command_timeout_s * 1000,
    maxOutput: limits.max_output_bytes,
    baseEnvNames: Object.keys({ ...BASE_ENV, ...scenario.env }),
  });
  await session.runAll(commands, env.signal);
  // The checker enters only now, after the episode, as its own exec.
  const check = await sandbox.exec(["sh", "-c", scenario.checker, "checker"], { maxOutput: 4096, timeoutMs: limits.checker_timeout_s * 1000 });
  const terminalOk = session.terminal.kind === scenario.terminal;
  return {
    passed: check.exitCode === 0 && terminalOk,
    checkerExit: check.exitCode,
    checkerOutput: (check.stdout + check.stderr).trim().slice(-500),
    terminal: session.terminal,
    turns: session.turns,
    readyMs,
    durationMs: performance.now() - started,
  };
}
