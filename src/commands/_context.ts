import type { ArgsDef } from "citty";
import { loadConfig, type Overrides } from "../config/load.ts";
import type { MaxTime, RunContext } from "../context.ts";
import { abortController } from "../signals.ts";
import { createLogger } from "../ui/logger.ts";

/** Flags every command that reads the config accepts. */
export const configArgs = {
  config: { type: "string", description: "Config file (TOML); defaults to the embedded config" },
  verbose: { type: "boolean", description: "Debug logs and error stacks" },
} as const satisfies ArgsDef;

/** `--max-time`, for commands that run a loop of items (gen, rollout, eval). */
export const maxTimeArgs = {
  "max-time": {
    type: "string",
    description: "Stop after DURATION (90s, 15m, 2h, 1h30m): what is done is written as a partial set (manifest: partial), exit 75; rerun to resume",
  },
} as const satisfies ArgsDef;

/** Builds the context a feature function receives: config parsed once, logger, the run's abort signal. */
export async function createContext(args: { config?: string; verbose?: boolean }, overrides: Overrides = {}, maxTime?: MaxTime): Promise<RunContext> {
  const config = loadConfig(args.config, overrides);
  return {
    config,
    log: createLogger({ verbose: args.verbose }),
    signal: abortController.signal,
    env: process.env,
    verbose: Boolean(args.verbose),
    tty: Boolean(process.stderr.isTTY),
    ...(maxTime ? { maxTime } : {}),
  };
}
