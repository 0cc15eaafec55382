import TOML from "@iarna/toml";
import { readFileSync, existsSync, statSync } from "node:fs";
import type { z } from "zod";
import { ConfigError } from "../errors.ts";
import { ConfigSchema, type Config } from "./schema.ts";
import defaultText from "../../config.toml" with { type: "text" };

export type Overrides = Record<string, unknown>;

/** The embedded default config text (the top-level config.toml at build time). */
export const DEFAULT_CONFIG_TEXT: string = defaultText;

/** Parses TOML text; syntax errors name the source, line and column. */
export function parseToml(text: string, source: string): Record<string, unknown> {
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    const e = error as { line?: number; col?: number; message?: string };
    const where = e.line === undefined ? "" : `:${e.line + 1}:${(e.col ?? 0) + 1}`;
    const reason = (e.message ?? String(error)).split(" at row ")[0];
    throw new ConfigError(`${source}${where}: TOML syntax error: ${reason}`);
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Deep-merges tables; arrays and scalars from `over` replace those of `base`. */
export function mergeTables(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTable(v) && isTable(base[k]) ? mergeTables(base[k] as Record<string, unknown>, v) : v;
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
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error);
    throw new ConfigError(`${source}: invalid config\n  ${lines.join("\n  ")}`, "Run `sekft config print` to see every key with its default.");
  }
  return deepFreeze(result.data);
}

/** Loads the effective config: embedded defaults < file < flag overrides. */
export function loadConfig(file: string | undefined, overrides: Overrides = {}): Config {
  let raw = parseToml(DEFAULT_CONFIG_TEXT, "embedded config.toml");
  let source = "embedded config.toml";
  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError(`${file}: no such config file`, "Create one with `sekft config init FILE`.");
    if (statSync(file).isDirectory()) throw new ConfigError(`${file}: is a directory, not a config file`);
    const fileRaw = parseToml(readFileSync(file, "utf8"), file);
    // Unknown keys in the file must be reported even where the defaults have the table.
    raw = mergeTables(raw, fileRaw);
    source = file;
  }
  raw = mergeTables(raw, overrides);
  return validateConfig(raw, source);
}

/** Renders a config as TOML that `config check` accepts. */
export function printConfig(config: Config): string {
  return TOML.stringify(JSON.parse(JSON.stringify(config)) as TOML.JsonMap);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
