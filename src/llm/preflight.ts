import { APIConnectionError, APIError } from "openai";
import { DependencyError } from "../errors.ts";
import type { ChatEndpoint } from "./chat.ts";
import { endpointName } from "./chat.ts";
import { createLlmClient } from "./client.ts";
import { redactSecret } from "./redact.ts";
import type { RunContext } from "../context.ts";

/** How the endpoint was found to serve the model, for a log line. */
export interface PreflightResult {
  /** `models`: `GET /models` listed it (or listed nothing to check against); `completion`: a one-token request answered. */
  via: "models" | "completion";
  /** The model ids `/models` listed, or null when it gave no list. */
  served: string[] | null;
  /** Something worth a warning that does not stop the run (a 5xx to the probe: the run's retries decide). */
  note?: string;
}

const SHOWN_MODELS = 20;

/**
 * Checks, before any run, that the endpoint answers and serves the configured model: one `GET {base_url}/models`,
 * or — when that gives no list (404, an error status, not a list) — one completion with `max_tokens: 1`. A dead
 * endpoint, a refused key or an unknown model is a DependencyError (exit 2) naming the URL, never the key; when
 * `/models` lists models and the configured one is not among them, the message says which are served. An empty
 * list names nothing (some proxies route any name) and passes. A 408/429/5xx to the one-token request passes with
 * a note: the endpoint is alive, and the run's own retries judge a passing overload.
 */
export async function preflight(endpoint: ChatEndpoint, env: Readonly<Record<string, string | undefined>>, signal: AbortSignal): Promise<PreflightResult> {
  const { client, apiKey } = createLlmClient(endpoint, env);
  const where = endpointName(endpoint.base_url);
  const fail = (message: string, hint: string) => new DependencyError(redactSecret(message, apiKey), hint);
  const detail = (error: unknown) => redactSecret(((error as Error)?.message ?? String(error)).split("\n")[0]!.slice(0, 300), apiKey);
  const dead = (error: unknown) =>
    fail(`the model endpoint at ${where} is not reachable: ${detail(error)}`, "Is the server running? Check base_url (--base-url).");
  const refusedKey = (error: APIError) =>
    fail(
      `the model endpoint at ${where} refused the API key (HTTP ${error.status})`,
      endpoint.api_key_env ? `Check the key in ${endpoint.api_key_env} (--api-key-env).` : "The endpoint wants a key: set api_key_env (--api-key-env).",
    );

  let served: string[] | null = null;
  try {
    const page = await client.models.list({ signal });
    const ids = (page.data ?? []).map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === "string");
    served = Array.isArray(page.data) ? ids : null;
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof APIConnectionError) throw dead(error);
    if (error instanceof APIError && (error.status === 401 || error.status === 403)) throw refusedKey(error);
    // Any other answer (404, 405, 5xx, a body that is no list) gives no list: ask for one token instead.
  }
  if (served !== null) {
    if (served.length === 0 || served.includes(endpoint.model)) return { via: "models", served };
    const shown = served.slice(0, SHOWN_MODELS).join(", ") + (served.length > SHOWN_MODELS ? `, … (${served.length} in all)` : "");
    throw fail(`the model ${endpoint.model} is not served at ${where}; it serves: ${shown}`, "Set the model (--model) to one of those.");
  }

  try {
    await client.chat.completions.create({ model: endpoint.model, messages: [{ role: "user", content: "ping" }], max_tokens: 1 }, { signal });
    return { via: "completion", served: null };
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof APIConnectionError) throw dead(error);
    if (!(error instanceof APIError) || error.status === undefined) {
      return { via: "completion", served: null, note: `the probe of ${where} got no chat completion: ${detail(error)}` };
    }
    if (error.status === 401 || error.status === 403) throw refusedKey(error);
    if (error.status === 408 || error.status === 429 || error.status >= 500) {
      return { via: "completion", served: null, note: `the probe of ${where} answered HTTP ${error.status}: ${detail(error)}` };
    }
    throw fail(
      `the model ${endpoint.model} at ${where} refused a one-token request (HTTP ${error.status}): ${detail(error)}`,
      "Is the model name right (--model)? The server's /models gave no list to check it against.",
    );
  }
}

/** {@link preflight} for a command: logs how the endpoint answered, and any note as a warning. */
export async function checkEndpoint(ctx: Pick<RunContext, "env" | "signal" | "log">, endpoint: ChatEndpoint, role: string): Promise<void> {
  const r = await preflight(endpoint, ctx.env, ctx.signal);
  const where = endpointName(endpoint.base_url);
  if (r.note) ctx.log.warn(`${role} preflight: ${r.note}; going on`);
  else ctx.log.info(`${role}: ${endpoint.model} at ${where} answers (${r.via === "models" ? "listed by /models" : "a one-token request"})`);
}
