import type OpenAI from "openai";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ModelEndpoint } from "../config/shell-schema.ts";
import { createLlmClient } from "./client.ts";
import { addUsage, type TokenLedger, type TokenUsage, zeroUsage } from "./ledger.ts";
import { createLimiter, type Limiter } from "./limiter.ts";
import { containsSecret, redactSecret } from "./redact.ts";
import { BadReplyError, type RetryOutcome, type RetryPolicy, retryPolicyOf, withRetry } from "./retry.ts";

export type ChatMessage = ChatCompletionMessageParam;

/** One request to a chat model. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Ask for a JSON object (`response_format`); dropped for good once the server refuses it. */
  json?: boolean;
  /** Caps the reply (`max_tokens`). */
  maxTokens?: number;
  /** Sampling temperature; the server's default when absent. */
  temperature?: number;
  /** Names the spend in the ledger. */
  label?: string;
  signal: AbortSignal;
}

/**
 * A reply, or why there is none: an infra failure after the endpoint's `max_attempts` tries — it could not be
 * reached, answered an error status, or answered 200 with something that is not a chat completion (an error
 * body, no choices, a choice without a message, a cut body) — or a Retry-After beyond the wait budget.
 * Never the model's doing, so never a training line. Reasons name the endpoint and never hold the key.
 */
export type ChatReply =
  | { ok: true; content: string; finishReason: string | null; usage: TokenUsage; seconds: number }
  | { ok: false; kind: "infra"; reason: string; usage: TokenUsage; seconds: number };

export interface ChatOptions {
  /** Shared by every call of a run; without one the endpoint's `concurrency` bounds this client alone. */
  limiter?: Limiter;
  /** Receives every answered request's usage. */
  ledger?: TokenLedger;
  /** First retry backoff in ms (tests use a few ms). */
  backoffMs?: number;
}

/** The endpoint fields a chat call needs (`[shell.operator]`, `[shell.teacher]`). */
export type ChatEndpoint = Pick<ModelEndpoint, "base_url" | "model" | "api_key_env" | "timeout_s" | "concurrency" | "max_attempts">;

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
    // The endpoint's own max_attempts bounds its tries (a fixed default once hid it: "after 5 tries" whatever the config).
    return new ChatClient(client, endpoint, apiKey, limiter, retryPolicyOf(endpoint, opts.backoffMs), opts.ledger);
  }

  /** Removes the API key from any text before it is logged or written. */
  scrub(text: string): string {
    return redactSecret(text, this.apiKey);
  }

  /** True when the text holds the API key (a model that echoes its request headers). */
  leaks(text: string): boolean {
    return containsSecret(text, this.apiKey);
  }

  /**
   * Sends one request, retrying infra failures (429/5xx, bad replies, connection errors); never throws but on
   * abort. A caller's deadline (a timeout signal) that ends the retries of a failing endpoint is an infra failure too.
   */
  async send(req: ChatRequest): Promise<ChatReply> {
    const started = performance.now();
    // Wall clock of the whole call (its retries and the limiter's queue included), in seconds to the millisecond.
    const seconds = () => Math.round(performance.now() - started) / 1000;
    const body = (): ChatCompletionCreateParamsNonStreaming => ({
      model: this.endpoint.model,
      messages: req.messages,
      ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.json && this.jsonMode ? { response_format: { type: "json_object" as const } } : {}),
    });
    let failed: { error: unknown; tries: number } | undefined;
    const attempt = () =>
      withRetry((sig) => this.limiter.run(() => sendOnce(this.client, body(), sig), sig), {
        policy: this.policy,
        signal: req.signal,
        onRetry: (error, _delay, tries) => {
          failed = { error, tries };
        },
      });
    let outcome: RetryOutcome<RawReply>;
    try {
      outcome = await attempt();
      if (!outcome.ok && req.json && this.jsonMode && rejectsJsonMode(outcome.error)) {
        // Some servers answer 400 to response_format; the prompt still asks for JSON, so go on without it.
        this.jsonMode = false;
        outcome = await attempt();
      }
    } catch (error) {
      // The endpoint was failing when the caller's time ran out: its failure, not an interrupt of the run.
      if (!failed || !isDeadline(req.signal)) throw error;
      const reason = `${describeFailure({ ok: false, ...failed }, this.endpoint)}; the caller's deadline came before the next try`;
      return { ok: false, kind: "infra", reason: this.scrub(reason), usage: zeroUsage(), seconds: seconds() };
    }
    if (!outcome.ok) {
      if (req.signal.aborted) throw outcome.error;
      return { ok: false, kind: "infra", reason: this.scrub(describeFailure(outcome, this.endpoint)), usage: zeroUsage(), seconds: seconds() };
    }
    const reply = outcome.value;
    const usage = addUsage(zeroUsage(), reply.usage);
    const took = seconds();
    this.ledger?.record({ label: req.label ?? "", model: this.endpoint.model, ...usage, seconds: took });
    return { ok: true, content: reply.content, finishReason: reply.finishReason, usage, seconds: took };
  }
}

interface RawReply {
  content: string;
  finishReason: string | null;
  usage: Partial<TokenUsage> | undefined;
}

/** One HTTP request; a body that is not a completion (or not JSON at all) is a BadReplyError, retried like a 5xx. */
async function sendOnce(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal): Promise<RawReply> {
  let completion: unknown;
  try {
    completion = await client.chat.completions.create(body, { signal });
  } catch (error) {
    if (error instanceof APIError || signal.aborted) throw error;
    throw new BadReplyError(`a body that is not JSON (${(error as Error)?.message ?? String(error)})`);
  }
  return completionOf(completion);
}

/**
 * The text of a chat completion body. Anything else is the endpoint's failure, not the model's reply: an
 * `error` member (some servers answer 200 with one), no or empty `choices`, a choice without a message or
 * that reports an error. A message without text (null content) is the model's reply: an empty one.
 */
function completionOf(body: unknown): RawReply {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadReplyError("a body that is not a JSON object");
  const c = body as { error?: unknown; choices?: unknown; usage?: Partial<TokenUsage> };
  if (c.error !== undefined && c.error !== null) throw new BadReplyError(`an error body: ${errorText(c.error)}`);
  if (!Array.isArray(c.choices)) throw new BadReplyError("no choices");
  if (c.choices.length === 0) throw new BadReplyError("empty choices");
  const choice = c.choices[0] as { message?: unknown; finish_reason?: unknown; error?: unknown } | null;
  if (typeof choice !== "object" || choice === null) throw new BadReplyError("a choice that is not an object");
  if (choice.error !== undefined && choice.error !== null) throw new BadReplyError(`a choice that is an error: ${errorText(choice.error)}`);
  if (choice.finish_reason === "error") throw new BadReplyError("a choice that finished with an error");
  const message = choice.message as { content?: unknown } | null | undefined;
  if (typeof message !== "object" || message === null) throw new BadReplyError("a choice without a message");
  const content = typeof message.content === "string" ? message.content : "";
  return { content, finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null, usage: c.usage };
}

/** An error member's message, short. */
function errorText(error: unknown): string {
  const message = typeof error === "string" ? error : (error as { message?: unknown })?.message;
  const text = typeof message === "string" ? message : JSON.stringify(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** True when a signal was aborted by a timeout (`AbortSignal.timeout`, also through `AbortSignal.any`), not by an interrupt. */
function isDeadline(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof DOMException && reason.name === "TimeoutError";
}

function rejectsJsonMode(error: unknown): boolean {
  return error instanceof APIError && error.status === 400 && /response_format|json_object/i.test(error.message);
}

/** Where the endpoint is, for messages: its base_url without credentials or query. */
export function endpointName(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString().replace(/\/$/, "");
  } catch {
    return "(an invalid base_url)";
  }
}

/** A failure message that leads with the reason, names the endpoint and the tries really made; the caller scrubs the key out of it. */
function describeFailure(outcome: Extract<RetryOutcome<unknown>, { ok: false }>, endpoint: ChatEndpoint): string {
  const who = `the model ${endpoint.model} at ${endpointName(endpoint.base_url)}`;
  const after = ` (after ${outcome.tries} ${outcome.tries === 1 ? "try" : "tries"})`;
  const { lead, detail } = describeError(outcome.error, who, endpoint);
  if (outcome.retryAfter) {
    const { askedMs, leftMs, budgetMs } = outcome.retryAfter;
    const s = (ms: number) => `${Math.round(Math.max(0, ms) / 100) / 10}s`;
    return `${who} asked to wait ${s(askedMs)} (Retry-After), beyond the ${s(leftMs)} left of its ${s(budgetMs)} wait budget (timeout_s)${after}: ${lead.replace(`${who} `, "")}${detail ? `: ${detail}` : ""}`;
  }
  return `${lead}${after}${detail ? `: ${detail}` : ""}`;
}

function describeError(error: unknown, who: string, endpoint: ChatEndpoint): { lead: string; detail: string } {
  if (error instanceof APIConnectionTimeoutError) return { lead: `request to ${who} timed out after ${endpoint.timeout_s}s`, detail: "" };
  if (error instanceof APIConnectionError) return { lead: `cannot reach ${who}`, detail: error.message };
  if (error instanceof APIError) {
    const hint = error.status === 401 || error.status === 403 ? ` — check the key in ${endpoint.api_key_env || "(no key configured)"}` : "";
    return { lead: `${who} answered HTTP ${error.status ?? "?"}`, detail: `${error.message}${hint}` };
  }
  if (error instanceof BadReplyError) return { lead: `${who} answered no chat completion`, detail: error.message };
  return { lead: `request to ${who} failed`, detail: (error as Error)?.message ?? String(error) };
}
