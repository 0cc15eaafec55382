import type OpenAI from "openai";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ModelEndpoint } from "../config/shell-schema.ts";
import { createLlmClient } from "./client.ts";
import { extractJsonObject } from "./extract-json.ts";
import { addUsage, zeroUsage, type TokenLedger, type TokenUsage } from "./ledger.ts";
import { createLimiter, type Limiter } from "./limiter.ts";
import { redactSecret } from "./redact.ts";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from "./retry.ts";

/** `[shell.teacher]`: the OpenAI-compatible model that authors bundles. */
export type TeacherConfig = ModelEndpoint;

/** A parsed, validated reply, or the last reason none was; usage is summed over every attempt. */
export type AuthorResult = { ok: true; raw: unknown; usage: TokenUsage; attempts: number } | { ok: false; reason: string; usage: TokenUsage; attempts: number };

/** What one authoring call needs; feature code passes env and signal down, nothing is read globally. */
export interface AuthorInput {
  cell: unknown;
  /** The system prompt. */
  prompt: string;
  teacher: TeacherConfig;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Returns why a parsed object is unacceptable, or null; its reason is fed back to the model. */
  validate?: (raw: unknown) => string | null;
  /** Shared by all calls of a run; without one, this call is bounded on its own. */
  limiter?: Limiter;
  /** First retry backoff in ms (tests use a few ms). */
  backoffMs?: number;
  /** Receives every request's usage when given. */
  ledger?: TokenLedger;
  /** Names the spend in the ledger (e.g. the cell key). */
  label?: string;
}

// Replies larger than this are not echoed back in a correction request: they would only burn tokens.
const MAX_ECHO_CHARS = 16_000;

/** Asks the teacher for one JSON bundle, re-asking with the reason up to `max_attempts` times; throws only on abort or a missing key. */
export async function authorBundleWithModel(input: AuthorInput): Promise<AuthorResult> {
  const { teacher, signal } = input;
  const { client, apiKey } = createLlmClient(teacher, input.env);
  const scrub = (text: string) => redactSecret(text, apiKey);
  const limiter = input.limiter ?? createLimiter(Math.max(1, Math.floor(teacher.concurrency) || 1));
  const policy: RetryPolicy =
    input.backoffMs === undefined ? DEFAULT_RETRY_POLICY : { ...DEFAULT_RETRY_POLICY, baseMs: input.backoffMs, maxMs: input.backoffMs * 16 };
  const maxAttempts = Math.max(1, Math.floor(teacher.max_attempts) || 1);
  const base: ChatCompletionMessageParam[] = [
    { role: "system", content: input.prompt },
    { role: "user", content: JSON.stringify(input.cell) },
  ];

  let usage = zeroUsage();
  let correction: ChatCompletionMessageParam[] = [];
  let jsonMode = true;
  let reason = "no attempt was made";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const request = (): ChatCompletionCreateParamsNonStreaming => ({
      model: teacher.model,
      messages: [...base, ...correction],
      ...(jsonMode ? { response_format: { type: "json_object" as const } } : {}),
    });
    const outcome = await withRetry((sig) => limiter.run(() => send(client, request(), sig), sig), { policy, signal });
    if (!outcome.ok && jsonMode && rejectsJsonMode(outcome.error)) {
      // Some servers answer 400 to response_format; the prompt still asks for JSON, so go on without it.
      jsonMode = false;
      attempt--;
      continue;
    }
    if (!outcome.ok) {
      reason = describeFailure(outcome.error, teacher, outcome.tries);
      return { ok: false, reason: scrub(reason), usage, attempts: attempt };
    }
    const reply = outcome.value;
    usage = addUsage(usage, reply.usage);
    input.ledger?.record({ label: input.label ?? "", model: teacher.model, ...addUsage(zeroUsage(), reply.usage) });

    const problem = reply.malformed ?? judge(reply.content, reply.finishReason, input.validate);
    if (problem.ok) return { ok: true, raw: problem.value, usage, attempts: attempt };
    reason = `attempt ${attempt}/${maxAttempts}: ${problem.reason}`;
    correction = [
      ...(reply.content && reply.content.length <= MAX_ECHO_CHARS ? [{ role: "assistant" as const, content: reply.content }] : []),
      { role: "user", content: `Your previous reply was rejected: ${problem.reason}\nReply again with one corrected JSON object and nothing else.` },
    ];
  }
  return { ok: false, reason: scrub(`no valid reply after ${maxAttempts} attempts; last: ${reason}`), usage, attempts: maxAttempts };
}

type Judged = { ok: true; value: unknown } | { ok: false; reason: string };
interface Reply {
  content: string;
  finishReason: string | null;
  usage: Partial<TokenUsage> | undefined;
  /** Set when the server answered 200 with something that is not a chat completion. */
  malformed?: { ok: false; reason: string };
}

/** One HTTP request; a 200 whose body is not a completion becomes a failed attempt, not a crash. */
async function send(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal): Promise<Reply> {
  let completion: unknown;
  try {
    completion = await client.chat.completions.create(body, { signal });
  } catch (error) {
    if (error instanceof APIError || signal.aborted) throw error;
    return {
      content: "",
      finishReason: null,
      usage: undefined,
      malformed: { ok: false, reason: `server reply is not a chat completion (${(error as Error).message})` },
    };
  }
  const c = completion as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>; usage?: Partial<TokenUsage> } | null;
  const choice = typeof c === "object" && c !== null && Array.isArray(c.choices) ? c.choices[0] : undefined;
  if (!choice)
    return { content: "", finishReason: null, usage: c?.usage, malformed: { ok: false, reason: "server reply is not a chat completion (no choices)" } };
  const content = typeof choice.message?.content === "string" ? choice.message.content : "";
  return { content, finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null, usage: c?.usage };
}

/** Parses and validates one reply's text. */
function judge(content: string, finishReason: string | null, validate: AuthorInput["validate"]): Judged {
  const parsed = extractJsonObject(content);
  if (!parsed.ok) {
    const cut = finishReason === "length" ? " (the reply was cut off at the token limit)" : "";
    return { ok: false, reason: `invalid JSON: ${parsed.reason}${cut}` };
  }
  if (!validate) return parsed;
  try {
    const why = validate(parsed.value);
    return why === null ? parsed : { ok: false, reason: why };
  } catch (error) {
    return { ok: false, reason: `validator failed: ${(error as Error).message}` };
  }
}

function rejectsJsonMode(error: unknown): boolean {
  return error instanceof APIError && error.status === 400 && /response_format|json_object/i.test(error.message);
}

/** A failure message that leads with the reason; the caller scrubs the key out of it. */
function describeFailure(error: unknown, teacher: TeacherConfig, tries: number): string {
  const after = tries > 1 ? ` (after ${tries} tries)` : "";
  if (error instanceof APIConnectionTimeoutError) return `teacher request timed out after ${teacher.timeout_s}s${after}`;
  if (error instanceof APIConnectionError) return `cannot reach the teacher at ${teacher.base_url}${after}: ${error.message}`;
  if (error instanceof APIError) {
    const hint = error.status === 401 || error.status === 403 ? ` — check the key in ${teacher.api_key_env || "(no key configured)"}` : "";
    return `teacher answered HTTP ${error.status ?? "?"}${after}: ${error.message}${hint}`;
  }
  return `teacher request failed${after}: ${(error as Error)?.message ?? String(error)}`;
}
