import type { ArgsDef } from "citty";
import type { MaxTime } from "../context.ts";
import { UsageError } from "../errors.ts";

/** Flags every command accepts (cli.ts reads them before any command runs). */
export const GLOBAL_FLAGS = ["help", "h", "verbose"] as const;

/** citty accepts any flag; sekft refuses unknown ones so a typo never silently runs the default. */
export function rejectUnknownFlags(rawArgs: string[], def: ArgsDef): void {
  const known = new Set<string>(GLOBAL_FLAGS);
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

/**
 * Parses a `--max-time` duration: whole numbers with units, largest first — `90s`, `15m`, `2h`, `1h30m` — into
 * the run's deadline, counted from now. Anything else, or zero, names the flag.
 */
export function maxTimeFlag(value: unknown, now = Date.now()): MaxTime | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  const seconds = m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 0;
  if (!m || text === "" || seconds <= 0) throw new UsageError(`--max-time must be a duration such as 90s, 15m, 2h or 1h30m; got ${JSON.stringify(value)}`);
  return { at: now + seconds * 1000, text };
}
