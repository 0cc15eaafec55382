import type OpenAI from "openai";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { createLlmClient, type LlmEndpoint } from "./client.ts";
import { addUsage, type TokenLedger, type TokenUsage, zeroUsage } from "./ledger.ts";
import { createLimiter, type Limiter } from "./limiter.ts";
import { containsSecret, redactSecret } from "./redact.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./retry.ts";

export type ChatMessage = ChatCompletionMessageParam;

/** One request to a chat model. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Ask for a JSON object (`response_format`); dropped for good once the server refuses it. */
  json?: boolean;
  /** Caps the reply (`max_tokens`). */
  maxTokens?: number;
  /** Names the spend in the ledger. */
  label?: string;
  signal: AbortSignal;
}

/**
 * A reply, or why there is none. `transport`: the server could not be reached or answered an error after the
 * retries; `malformed`: it answered 200 with something that is not a chat completion. Reasons never hold the key.
 */
export type ChatReply =
  | { ok: true; content: string; finishReason: string | null; usage: TokenUsage }
  | { ok: false; kind: "transport" | "malformed"; reason: string; usage: TokenUsage };

export interface ChatOptions {
  /** Shared by every call of a run; without one the endpoint's `concurrency` bounds this client alone. */
  limiter?: Limiter;
  /** Receives every answered request's usage. */
  ledger?: TokenLedger;
  /** First retry backoff in ms (tests use a few ms). */
  backoffMs?: number;
}

/** The endpoint fields a chat call needs. */
export type ChatEndpoint = LlmEndpoint & { concurrency: number };

/** The generic chat call: the real openai client behind a limiter, a retry policy and a token ledger. */
export class ChatClient {
  private jsonMode = true;
  private constructor(
    private readonly client: OpenAI,
    private readonly endpoint: ChatEndpoint,
    private readonly apiKey: string | null,
    private readonly limiter: Limiter,
    private readonly policy: RetryPolicy,
    private readonly ledger: TokenLedger | undefined,
  ) {}

  /** Builds a client; a missing API key is a DependencyError naming the variable. */
  static create(endpoint: ChatEndpoint, env: Readonly<Record<string, string | undefined>>, opts: ChatOptions = {}): ChatClient {
    const { client, apiKey } = createLlmClient(endpoint, env);
    const limiter = opts.limiter ?? createLimiter(Math.max(1, Math.floor(endpoint.concurrency) || 1));
    const policy = opts.backoffMs === undefined ? DEFAULT_RETRY_POLICY : { ...DEFAULT_RETRY_POLICY, baseMs: opts.backoffMs, maxMs: opts.backoffMs * 16 };
    return new ChatClient(client, endpoint, apiKey, limiter, policy, opts.ledger);
  }

  /** Removes the API key from any text before it is logged or written. */
  scrub(text: string): string {
    return redactSecret(text, this.apiKey);
  }

  /** True when the text holds the API key (a model that echoes its request headers). */
  leaks(text: string): boolean {
    return containsSecret(text, this.apiKey);
  }

  /** Sends one request with retries on 429/5xx and connection errors; never throws but on abort. */
  async send(req: ChatRequest): Promise<ChatReply> {
    const body = (): ChatCompletionCreateParamsNonStreaming => ({
      model: this.endpoint.model,
      messages: req.messages,
      ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
      ...(req.json && this.jsonMode ? { response_format: { type: "json_object" as const } } : {}),
    });
    let outcome = await withRetry((sig) => this.limiter.run(() => sendOnce(this.client, body(), sig), sig), { policy: this.policy, signal: req.signal });
    if (!outcome.ok && req.json && this.jsonMode && rejectsJsonMode(outcome.error)) {
      // Some servers answer 400 to response_format; the prompt still asks for JSON, so go on without it.
      this.jsonMode = false;
      outcome = await withRetry((sig) => this.limiter.run(() => sendOnce(this.client, body(), sig), sig), { policy: this.policy, signal: req.signal });
    }
    if (!outcome.ok) {
      if (req.signal.aborted) throw outcome.error;
      return { ok: false, kind: "transport", reason: this.scrub(describeFailure(outcome.error, this.endpoint, outcome.tries)), usage: zeroUsage() };
    }
    const reply = outcome.value;
    const usage = addUsage(zeroUsage(), reply.usage);
    this.ledger?.record({ label: req.label ?? "", model: this.endpoint.model, ...usage });
    if (reply.malformed) return { ok: false, kind: "malformed", reason: this.scrub(reply.malformed), usage };
    return { ok: true, content: reply.content, finishReason: reply.finishReason, usage };
  }
}

interface RawReply {
  content: string;
  finishReason: string | null;
  usage: Partial<TokenUsage> | undefined;
  /** Set when the server answered 200 with something that is not a chat completion. */
  malformed?: string;
}

/** One HTTP request; a 200 whose body is not a completion becomes a malformed reply, not a crash. */
async function sendOnce(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal): Promise<RawReply> {
  let completion: unknown;
  try {
    completion = await client.chat.completions.create(body, { signal });
  } catch (error) {
    if (error instanceof APIError || signal.aborted) throw error;
    return { content: "", finishReason: null, usage: undefined, malformed: `server reply is not a chat completion (${(error as Error).message})` };
  }
  const c = completion as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>; usage?: Partial<TokenUsage> } | null;
  const choice = typeof c === "object" && c !== null && Array.isArray(c.choices) ? c.choices[0] : undefined;
  if (!choice) return { content: "", finishReason: null, usage: c?.usage, malformed: "server reply is not a chat completion (no choices)" };
  const content = typeof choice.message?.content === "string" ? choice.message.content : "";
  return { content, finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null, usage: c?.usage };
}

function rejectsJsonMode(error: unknown): boolean {
  return error instanceof APIError && error.status === 400 && /response_format|json_object/i.test(error.message);
}

/** A failure message that leads with the reason; the caller scrubs the key out of it. */
function describeFailure(error: unknown, endpoint: ChatEndpoint, tries: number): string {
  const after = tries > 1 ? ` (after ${tries} tries)` : "";
  const who = `the model ${endpoint.model}`;
  if (error instanceof APIConnectionTimeoutError) return `request to ${who} timed out after ${endpoint.timeout_s}s${after}`;
  if (error instanceof APIConnectionError) return `cannot reach ${who} at ${endpoint.base_url}${after}: ${error.message}`;
  if (error instanceof APIError) {
    const hint = error.status === 401 || error.status === 403 ? ` — check the key in ${endpoint.api_key_env || "(no key configured)"}` : "";
    return `${who} answered HTTP ${error.status ?? "?"}${after}: ${error.message}${hint}`;
  }
  return `request to ${who} failed${after}: ${(error as Error)?.message ?? String(error)}`;
}
