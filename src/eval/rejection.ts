import { join } from "node:path";
import { sha256 } from "../dataset/hash.ts";
import { writeJsonlAtomic, writeLineFiles } from "../dataset/jsonl.ts";
import type { AnswerRecord } from "./answers.ts";
import type { Question } from "./questions.ts";

/** Where the proof of a kept answer came from. */
export interface Provenance {
  model: string;
  endpoint: string;
  dataset: string;
  split: "train" | "valid";
  runner: "sandbox" | "host";
  witness_version: string;
}

/** The files of `sekft eval`'s OUT that a trainer loads, under mlx-lm's names, and their provenance. */
export const EVAL_SFT_FILES = { train: "train.jsonl", valid: "valid.jsonl", meta: "sft.meta.jsonl" } as const;

/** The SFT file of a split: answers to held-out questions never go to a train file. */
export function sftFileOf(split: "train" | "valid"): string {
  return EVAL_SFT_FILES[split];
}

/**
 * Rejection sampling: every passing answer becomes an SFT line (the question's messages + the answer) in the
 * file of the split it was asked from, with its provenance in sft.meta.jsonl (same order). An answer text
 * repeated for one question is kept once. Returns how many lines were written.
 */
export function writeRejectionSamples(out: string, questions: Question[], records: AnswerRecord[], p: Provenance): { file: string; lines: number } {
  const byLine = new Map(questions.map((q) => [q.line, q]));
  const file = sftFileOf(p.split);
  const seen = new Set<string>();
  const lines: unknown[] = [];
  const meta: unknown[] = [];
  for (const r of records) {
    const q = byLine.get(r.line);
    if (!r.ok || !q || r.answer === undefined) continue;
    const digest = sha256(r.answer);
    if (seen.has(`${r.line}:${digest}`)) continue;
    seen.add(`${r.line}:${digest}`);
    lines.push({ messages: [...q.prompt, { role: "assistant", content: r.answer }] });
    meta.push({
      file,
      line: lines.length,
      split: p.split,
      model: p.model,
      endpoint: p.endpoint,
      sample: r.sample,
      source: { dataset: p.dataset, line: r.line, ...(q.id ? { id: q.id } : {}), ...(q.answer_sha256 ? { answer_sha256: q.answer_sha256 } : {}) },
      family: q.family,
      answer_sha256: digest,
      proof: { ok: true, runner: p.runner, witness_version: p.witness_version, seconds: r.run_seconds },
      usage: r.usage,
    });
  }
  // No passing answer, no file: a trainer's loader refuses an empty one (the report's sft_lines says 0).
  writeLineFiles(out, { [file]: lines });
  writeJsonlAtomic(join(out, EVAL_SFT_FILES.meta), meta);
  return { file, lines: lines.length };
}
