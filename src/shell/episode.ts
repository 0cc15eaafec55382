import { type EpisodeEnv, Episode } from "../sandbox/episode.ts";
import type { Terminal, Turn } from "../sandbox/session.ts";
import type { Scenario } from "./bundle.ts";

export type { EpisodeEnv } from "../sandbox/episode.ts";

/** The outcome of one replayed episode: passed = checker exit 0 and the expected terminal. */
export interface EpisodeResult {
  passed: boolean;
  checkerExit: number;
  checkerOutput: string;
  terminal: Terminal;
  turns: readonly Turn[];
  readyMs: number;
  durationMs: number;
}

/** Replays a command list in a fresh episode holding the scenario's fixtures, then checks the final state. */
export async function replayEpisode(env: EpisodeEnv, scenario: Scenario, commands: string[]): Promise<EpisodeResult> {
  const started = performance.now();
  await using episode = await Episode.open(env, scenario);
  for (const cmd of commands) {
    await episode.run(cmd);
    if (episode.ended) break;
  }
  const check = await episode.check(scenario.checker);
  return {
    passed: check.exitCode === 0 && episode.terminal.kind === scenario.terminal,
    checkerExit: check.exitCode,
    checkerOutput: check.output,
    terminal: episode.terminal,
    turns: episode.turns,
    readyMs: episode.readyMs,
    durationMs: performance.now() - started,
  };
}
