import type { ArgsDef } from "citty";
import type { Overrides } from "../config/load.ts";
import { UsageError } from "../errors.ts";

/** The flags of every command that calls a model; each overrides one key of the endpoint's config table. */
export const modelArgs = {
  "base-url": { type: "string", description: "The model's OpenAI-compatible base URL (overrides the endpoint table's base_url)" },
  model: { type: "string", description: "The model name the endpoint serves (overrides model)" },
  "api-key-env": { type: "string", description: 'The environment variable holding the API key, "" for none (overrides api_key_env)' },
} as const satisfies ArgsDef;

type ModelFlags = { "base-url"?: string; model?: string; "api-key-env"?: string };

/** True when any model flag was given. */
export function hasModelFlags(a: ModelFlags): boolean {
  return a["base-url"] !== undefined || a.model !== undefined || a["api-key-env"] !== undefined;
}

/**
 * The overrides the model flags make to the endpoint table at `path` (e.g. ["shell", "operator"]), checked here
 * so a bad value names its flag; concurrency, timeouts and attempts stay in the config.
 */
export function modelOverrides(a: ModelFlags, path: readonly string[]): Overrides {
  const table: Record<string, string> = {};
  const url = a["base-url"];
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {}
    if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new UsageError(`--base-url must be an http(s) URL, got ${JSON.stringify(url)}`);
    table.base_url = url;
  }
  if (a.model !== undefined) {
    if (a.model.trim() === "") throw new UsageError("--model must not be empty");
    table.model = a.model;
  }
  const keyEnv = a["api-key-env"];
  if (keyEnv !== undefined) {
    if (!/^([A-Za-z_][A-Za-z0-9_]*)?$/.test(keyEnv))
      throw new UsageError(`--api-key-env must be an environment variable name, or "" for a server that needs no key; got ${JSON.stringify(keyEnv)}`);
    table.api_key_env = keyEnv;
  }
  if (!Object.keys(table).length) return {};
  return path.reduceRight<Overrides>((inner, key) => ({ [key]: inner }), table);
}
