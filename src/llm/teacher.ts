import type { ModelEndpoint } from "../config/shell-schema.ts";
import { ChatClient, type ChatMessage } from "./chat.ts";
import { extractJsonObject } from "./extract-json.ts";
import { addUsage, type TokenLedger, type TokenUsage, zeroUsage } from "./ledger.ts";
import type { Limiter } from "./limiter.ts";

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

/**
 * Asks the teacher for one JSON bundle, re-asking with the reason up to `max_attempts` times; each request is
 * itself tried up to `max_attempts` times on infra failures. Throws only on abort or a missing key.
 */
export async function authorBundleWithModel(input: AuthorInput): Promise<AuthorResult> {
  const { teacher, signal } = input;
  const chat = ChatClient.create(teacher, input.env, { limiter: input.limiter, ledger: input.ledger, backoffMs: input.backoffMs });
  const maxAttempts = Math.max(1, Math.floor(teacher.max_attempts) || 1);
  const base: ChatMessage[] = [
    { role: "system", content: input.prompt },
    { role: "user", content: JSON.stringify(input.cell) },
  ];

  let usage = zeroUsage();
  let correction: ChatMessage[] = [];
  let reason = "no attempt was made";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const reply = await chat.send({ messages: [...base, ...correction], json: true, label: input.label, signal });
    usage = addUsage(usage, reply.usage);
    // The endpoint failed after its own max_attempts tries: asking again with a correction would not help.
    if (!reply.ok) return { ok: false, reason: `teacher: ${reply.reason}`, usage, attempts: attempt };
    // A reply holding the key (a model echoing its request headers) never reaches the validator or a file.
    const problem: Judged = chat.leaks(reply.content)
      ? { ok: false, reason: "leak: the reply contains the API key (does the model echo its request headers?)" }
      : judge(reply.content, reply.finishReason, input.validate);
    if (problem.ok) return { ok: true, raw: problem.value, usage, attempts: attempt };
    reason = `attempt ${attempt}/${maxAttempts}: ${problem.reason}`;
    const content = reply.content;
    correction = [
      ...(content && content.length <= MAX_ECHO_CHARS ? [{ role: "assistant" as const, content }] : []),
      { role: "user", content: `Your previous reply was rejected: ${problem.reason}\nReply again with one corrected JSON object and nothing else.` },
    ];
  }
  return { ok: false, reason: chat.scrub(`no valid reply after ${maxAttempts} attempts; last: ${reason}`), usage, attempts: maxAttempts };
}

type Judged = { ok: true; value: unknown } | { ok: false; reason: string };

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
