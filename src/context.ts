import type { Config } from "./config/schema.ts";
import type { Logger } from "./ui/logger.ts";

/** What every feature function receives from its command: parsed config, logger, abort signal, environment. */
export interface RunContext {
  readonly config: Config;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The process environment, read once by the command layer; feature code never reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly verbose: boolean;
  /** True when stderr is a terminal (progress bar instead of periodic lines). */
  readonly tty: boolean;
  /** `--max-time`: when the run stops and writes what it has as a partial set; absent: no limit. */
  readonly maxTime?: MaxTime;
}

/** A run's `--max-time`: the deadline (ms since the epoch) and the flag as given, for messages. */
export interface MaxTime {
  at: number;
  text: string;
}
