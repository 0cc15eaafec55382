import type { ArgsDef } from "citty";
import { loadConfig, type Overrides } from "../config/load.ts";
import type { RunContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { abortController } from "../signals.ts";
import { createLogger } from "../ui/logger.ts";

/** Flags every command that reads the config accepts. */
export const configArgs = {
  config: { type: "string", description: "Config file (TOML); defaults to the embedded config" },
  verbose: { type: "boolean", description: "Debug logs and error stacks" },
} as const satisfies ArgsDef;

/** Builds the context a feature function receives: config parsed once, logger, the run's abort signal. */
export async function createContext(args: { config?: string; verbose?: boolean }, overrides: Overrides = {}): Promise<RunContext> {
  const config = loadConfig(args.config, overrides);
  return {
    config,
    log: createLogger({ verbose: args.verbose }),
    signal: abortController.signal,
    env: process.env,
    verbose: Boolean(args.verbose),
    tty: Boolean(process.stderr.isTTY),
  };
}

/** citty accepts any flag; sekft refuses unknown ones so a typo never silently runs the default. */
export function rejectUnknownFlags(rawArgs: string[], def: ArgsDef): void {
  const known = new Set<string>(["help", "h"]);
  for (const [name, arg] of Object.entries(def)) {
    known.add(name);
    known.add(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    const alias = (arg as { alias?: string | string[] }).alias;
    for (const a of Array.isArray(alias) ? alias : alias ? [alias] : []) known.add(a);
  }
  for (const raw of rawArgs) {
    if (raw === "--") break;
    if (!raw.startsWith("-") || raw === "-") continue;
    const name = raw.replace(/^--?/, "").split("=")[0]!.replace(/^no-/, "");
    if (!known.has(name)) throw new UsageError(`unknown flag ${raw.split("=")[0]}`, "Run with --help to see the flags.");
  }
}

/** Parses a non-negative integer flag, naming the flag when it is not one. */
export function intFlag(name: string, value: unknown, min = 0): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}
