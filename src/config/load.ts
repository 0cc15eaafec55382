import type TOMLModule from "@iarna/toml";
import { existsSync } from "node:fs";
import type { z } from "zod";
import { ConfigError, InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";
import { ConfigSchema, type Config } from "./schema.ts";
import defaultText from "../../config.toml" with { type: "text" };

export type Overrides = Record<string, unknown>;

/** The embedded default config text (the top-level config.toml at build time). */
export const DEFAULT_CONFIG_TEXT: string = defaultText;

// The TOML library loads only for a file the user names (its errors carry line and column) and for printing:
// the embedded default, known to be valid, is read by Bun's own parser (a unit test checks the two agree).
let toml: typeof TOMLModule | undefined;
function tomlLibrary(): typeof TOMLModule {
  toml ??= require("@iarna/toml") as typeof TOMLModule;
  return toml;
}

/** The embedded default config as a table. */
export function parseDefaultConfig(): Record<string, unknown> {
  return Bun.TOML.parse(DEFAULT_CONFIG_TEXT) as Record<string, unknown>;
}

/** Parses TOML text; syntax errors name the source, line and column. */
export function parseToml(text: string, source: string): Record<string, unknown> {
  let parsed: Record<string, unknown>;
  try {
    parsed = tomlLibrary().parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError(`${source}: TOML nested too deeply to read`);
    const e = error as { line?: number; col?: number; message?: string };
    const where = e.line === undefined ? "" : `:${e.line + 1}:${(e.col ?? 0) + 1}`;
    const reason = (e.message ?? String(error)).split(" at row ")[0];
    throw new ConfigError(`${source}${where}: TOML syntax error: ${reason}`);
  }
  checkDepth(parsed, source);
  return parsed;
}

// Far deeper than any config: the checks, merges and schema after the parse recurse, and must not run out of stack.
const MAX_DEPTH = 64;

/** Refuses arrays and tables nested deeper than MAX_DEPTH (walked with a stack of its own, not by recursion). */
function checkDepth(root: unknown, source: string): void {
  const stack: [unknown, number][] = [[root, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, depth] = item;
    if (typeof value !== "object" || value === null || value instanceof Date) continue;
    if (depth >= MAX_DEPTH) throw new ConfigError(`${source}: arrays or tables nested more than ${MAX_DEPTH} deep`);
    for (const v of Object.values(value)) stack.push([v, depth + 1]);
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

// Keys that would reach an object's prototype when merged or read: never a config key.
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Refuses reserved key names (`__proto__`, `constructor`, `prototype`) at any depth, naming the key. */
export function checkReservedKeys(value: unknown, source: string, path = ""): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkReservedKeys(v, source, `${path}[${i}]`);
    return;
  }
  if (!isTable(value)) return;
  for (const k of Object.keys(value)) {
    const key = path ? `${path}.${k}` : k;
    if (RESERVED_KEYS.has(k)) throw new ConfigError(`${source}: invalid config\n  ${key}: reserved name, not a config key`);
    checkReservedKeys(value[k], source, key);
  }
}

/** Deep-merges tables; arrays and scalars from `over` replace those of `base`. */
export function mergeTables(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const merged = isTable(v) && isTable(base[k]) ? mergeTables(base[k] as Record<string, unknown>, v) : v;
    // defineProperty, not assignment: a "__proto__" key stays a key instead of replacing the prototype.
    Object.defineProperty(out, k, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Turns zod issues into `path.to.key: message` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
      .join(".")
      .replace(/\.\[/g, "[");
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
      return `${keys.join(", ")}: unknown key${keys.length > 1 ? "s" : ""}`;
    }
    return `${path || "(top level)"}: ${issue.message}`;
  });
}

/** Validates a raw table against the schema; errors name the source and each key. */
export function validateConfig(raw: Record<string, unknown>, source: string): Config {
  // Parsed once or twice per run: compiling zod's eval-based fast path would cost more than it saves.
  const result = ConfigSchema.safeParse(raw, { jitless: true });
  if (!result.success) {
    const lines = formatIssues(result.error);
    throw new ConfigError(`${source}: invalid config\n  ${lines.join("\n  ")}`, "Run `sekft config print` to see every key with its default.");
  }
  return deepFreeze(result.data);
}

/** Loads the effective config: embedded defaults < file < flag overrides. */
export function loadConfig(file: string | undefined, overrides: Overrides = {}): Config {
  let raw = parseDefaultConfig();
  let source = "embedded config.toml";
  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError(`${file}: no such config file`, "Create one with `sekft config init FILE`.");
    const fileRaw = parseToml(readConfigText(file), file);
    checkReservedKeys(fileRaw, file);
    // Unknown keys in the file must be reported even where the defaults have the table.
    raw = mergeTables(raw, fileRaw);
    source = file;
    // The file is valid on its own terms: a table that flags replace (`run = 5` with --out) must not hide its error.
    if (Object.keys(overrides).length) validateConfig(raw, source);
  }
  raw = mergeTables(raw, overrides);
  return validateConfig(raw, source);
}

/** Reads a config file: a regular file of at most 4 MiB (a FIFO or /dev/zero would never end). */
function readConfigText(file: string): string {
  try {
    return readBoundedText(file, READ_LIMITS.config, "config file");
  } catch (error) {
    throw error instanceof InputError ? new ConfigError(error.message) : error;
  }
}

/** Renders a config as TOML that `config check` accepts. */
export function printConfig(config: Config): string {
  return tomlLibrary().stringify(JSON.parse(JSON.stringify(config)) as TOMLModule.JsonMap);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
