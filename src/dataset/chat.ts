import { z } from "zod";
import { InputError } from "../errors.ts";

// Content is a string, or OpenAI content parts of which the text parts count (images and audio carry no answer).
const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const Content = z.union([z.string(), z.array(ContentPart)]);

/** One chat message as datasets hold it (OpenAI / mlx-lm / TRL conversational form). */
export const ChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: Content.nullable().optional(),
});

/** One line of a chat JSONL: `{"messages": [...]}`; other keys (tools, metadata) are allowed and kept. */
export const ChatRecordSchema = z.looseObject({ messages: z.array(ChatMessageSchema).min(1) });

export type ChatRecord = z.infer<typeof ChatRecordSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** The one reader of chat records: a record that is not one is an InputError naming the file, line and field. */
export function parseChatRecord(value: unknown, file: string, line: number): ChatRecord {
  if (!Array.isArray((value as { messages?: unknown } | null)?.messages)) {
    throw new InputError(`${file}:${line}: no "messages" array (expected chat JSONL: {"messages": [...]})`);
  }
  const parsed = ChatRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  throw new InputError(
    `${file}:${line}: not a chat record: ${where.replace(/^\./, "") || "(line)"}: ${issue.message}`,
    'Expected {"messages": [{"role": ..., "content": ...}, ...]}.',
  );
}

/** The text of a message: its string content, or its text parts joined. */
export function textOf(message: ChatMessage): string {
  const c = message.content;
  if (typeof c === "string") return c;
  if (!c) return "";
  return c
    .filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("");
}

/** The answer of a chat record: the text of its last assistant message. Throws InputError naming the line. */
export function answerOf(value: unknown, file: string, line: number): string {
  const record = parseChatRecord(value, file, line);
  const last = record.messages.findLast((m) => m.role === "assistant");
  const text = last ? textOf(last) : "";
  if (!text) throw new InputError(`${file}:${line}: no assistant message with text content`);
  return text;
}

/** The question of a chat record: the text of its last user message before the answer ("" when none). */
export function questionOf(record: ChatRecord): string {
  const lastAnswer = record.messages.findLastIndex((m) => m.role === "assistant");
  const user = record.messages.slice(0, lastAnswer < 0 ? undefined : lastAnswer).findLast((m) => m.role === "user");
  return user ? textOf(user) : "";
}

/** A fenced code block of a Markdown answer. */
export interface Fence {
  lang: string;
  body: string;
}

/** Every fenced block (``` or ~~~, any info string) of a Markdown text, in order; the answer-extraction primitive. */
export function fencedBlocks(markdown: string): Fence[] {
  const out: Fence[] = [];
  const fence = /^(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) out.push({ lang: (m[2] ?? "").trim().split(/\s+/)[0]!.toLowerCase(), body: m[3]!.replace(/\n$/, "") });
  return out;
}
