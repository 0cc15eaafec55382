import OpenAI from "openai";
import type { ModelEndpoint } from "../config/shell-schema.ts";
import { DependencyError } from "../errors.ts";

/** Where an OpenAI-compatible model lives and how to reach it (api_key_env "" = the server needs no key). */
export type LlmEndpoint = Pick<ModelEndpoint, "base_url" | "model" | "api_key_env" | "timeout_s">;

// The SDK refuses to start without a key; servers that need none ignore this one.
const NO_KEY = "sk-no-key-required";

/** Reads the API key from the passed-in env; null when the endpoint is declared keyless. */
export function resolveApiKey(endpoint: LlmEndpoint, env: Readonly<Record<string, string | undefined>>): string | null {
  if (endpoint.api_key_env === "") return null;
  const key = env[endpoint.api_key_env];
  if (key === undefined || key.trim() === "") {
    throw new DependencyError(
      `the model API key is missing: environment variable ${endpoint.api_key_env} is not set (needed for ${endpoint.base_url})`,
      `export ${endpoint.api_key_env}=..., or set api_key_env = "" for a server that needs no key`,
    );
  }
  return key.trim();
}

/** Builds the real openai client; retries are off because the retry policy in retry.ts owns them. */
export function createLlmClient(endpoint: LlmEndpoint, env: Readonly<Record<string, string | undefined>>): { client: OpenAI; apiKey: string | null } {
  const apiKey = resolveApiKey(endpoint, env);
  const client = new OpenAI({
    apiKey: apiKey ?? NO_KEY,
    baseURL: endpoint.base_url,
    timeout: Math.max(1, Math.round(endpoint.timeout_s * 1000)),
    maxRetries: 0,
    // Explicit nulls stop the SDK from reading OPENAI_* variables on its own.
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    logLevel: "off",
  });
  return { client, apiKey };
}
