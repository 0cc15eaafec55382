import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseChatRecord, textOf } from "../dataset/chat.ts";
import { sha256 } from "../dataset/hash.ts";
import { readJsonl, streamJsonl } from "../dataset/jsonl.ts";
import type { ChatMessage } from "../llm/chat.ts";

/** One held-out question: the messages before its answer (system + user), and what the dataset knows of it. */
export interface Question {
  /** 1-based line in the dataset file. */
  line: number;
  prompt: ChatMessage[];
  /** sha256 of the dataset's own answer, when the line has one: the key into meta.jsonl. */
  answer_sha256?: string;
  /** The example id from meta.jsonl, when found. */
  id?: string;
  family: string;
  attestors: string[];
}

interface MetaEntry {
  id?: string;
  answer_sha256?: string;
  family?: string;
  spec?: { attestors?: unknown };
}

/** Family and attestors by answer digest, from the meta.jsonl beside the dataset (empty when there is none). */
function readMeta(file: string): Map<string, MetaEntry> {
  const meta = join(dirname(file), "meta.jsonl");
  const out = new Map<string, MetaEntry>();
  if (!existsSync(meta)) return out;
  for (const { value } of readJsonl<MetaEntry>(meta)) if (value?.answer_sha256) out.set(value.answer_sha256, value);
  return out;
}

/** The split the questions come from: `train` only for a file named train.jsonl; anything else counts as held out. */
export function splitOfFile(file: string): "train" | "valid" {
  return basename(file) === "train.jsonl" ? "train" : "valid";
}

/**
 * Reads the questions of a chat JSONL file: each line's messages before its last assistant message (the whole
 * line when it has none), as text. Family and attestors come from meta.jsonl, matched by the answer's digest;
 * "unknown" when there is no meta or no match.
 */
export async function readQuestions(file: string): Promise<Question[]> {
  const meta = readMeta(file);
  const out: Question[] = [];
  for await (const r of streamJsonl(file)) {
    const record = parseChatRecord(r.value, file, r.line);
    const last = record.messages.findLastIndex((m) => m.role === "assistant");
    const asked = last < 0 ? record.messages : record.messages.slice(0, last);
    const prompt = asked
      .filter((m) => m.role === "system" || m.role === "developer" || m.role === "user" || m.role === "assistant")
      .map((m) => ({ role: m.role, content: textOf(m) }) as ChatMessage);
    if (!prompt.some((m) => m.role === "user")) continue;
    const answer = last < 0 ? "" : textOf(record.messages[last]!);
    const digest = answer ? sha256(answer) : undefined;
    const m = digest ? meta.get(digest) : undefined;
    const attestors = Array.isArray(m?.spec?.attestors) ? m.spec.attestors.filter((a): a is string => typeof a === "string") : [];
    out.push({
      line: r.line,
      prompt,
      ...(digest ? { answer_sha256: digest } : {}),
      ...(m?.id ? { id: m.id } : {}),
      family: m?.family ?? "unknown",
      attestors: attestors.length ? attestors : ["unknown"],
    });
  }
  return out;
}
