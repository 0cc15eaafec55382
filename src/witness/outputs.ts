import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { writeJsonlAtomic, writeLineFiles } from "../dataset/jsonl.ts";
import { type PartialSet, writeManifest } from "../dataset/manifest.ts";
import { splitAll } from "../dataset/split.ts";
import { questionTemplates } from "./families.ts";
import type { Proof } from "./prove.ts";
import type { RenderedExample } from "./render.ts";
import { extractScript } from "./script.ts";
import { sha256 } from "../dataset/hash.ts";
import { GENERATOR_VERSION, type ExampleSpec } from "./spec.ts";

export type JournalRecord =
  | { id: string; index: number; status: "kept"; spec: ExampleSpec; rendered: RenderedExample; proof: Extract<Proof, { ok: true }> }
  | { id: string; index: number; status: "rejected"; spec: ExampleSpec; reason: string; stderrTail: string };

export interface OutputOptions {
  count: number;
  seed: number;
  config: Config;
  tools: Record<string, string>;
  validShare: number;
  shard?: { index: number; total: number };
  /** A run that stopped early: the manifest says so, and why. */
  partial?: PartialSet;
}

/** Chat messages of one example: the only thing train/valid lines hold. */
export function messagesOf(r: RenderedExample): { role: string; content: string }[] {
  return [
    { role: "system", content: r.system },
    { role: "user", content: r.question },
    { role: "assistant", content: r.answer },
  ];
}

/**
 * Writes train/valid/meta/rejects and the manifest from journal records in stream order. Every file is
 * written whole via `.partial` + rename, and the manifest last, so a complete manifest means a complete set.
 */
export function writeWitnessOutputs(
  dir: string,
  records: JournalRecord[],
  opts: OutputOptions,
): { kept: number; train: number; valid: number; rejected: number } {
  const kept = records.filter((r): r is Extract<JournalRecord, { status: "kept" }> => r.status === "kept").slice(0, opts.count);
  const last = kept.at(-1)?.index ?? Infinity;
  const rejects = records.filter((r): r is Extract<JournalRecord, { status: "rejected" }> => r.status === "rejected" && r.index < last);
  const train: unknown[] = [];
  const valid: unknown[] = [];
  const meta: unknown[] = [];
  const scriptShas = kept.map((r) => sha256(extractScript(r.rendered.answer)));
  const splits = splitAll(scriptShas, opts.validShare);
  kept.forEach((r, i) => {
    const scriptSha = scriptShas[i]!;
    const split = splits[i]!;
    (split === "train" ? train : valid).push({ messages: messagesOf(r.rendered) });
    meta.push({
      id: r.id,
      index: r.index,
      split,
      spec: r.spec,
      family: r.spec.family ?? "attest",
      template: {
        index: r.spec.question,
        text: questionTemplates(r.spec, opts.config.witness)[r.spec.question],
      },
      ...(r.proof.broken ? { broken: r.proof.broken } : {}),
      ...(r.rendered.checks ? { checks: r.rendered.checks } : {}),
      answer_sha256: sha256(r.rendered.answer),
      script_sha256: scriptSha,
      witness_version: opts.tools.witness,
      generator: GENERATOR_VERSION,
      timings: { run_ms: r.proof.runMs, mutations_ms: r.proof.mutationsMs },
      // A rule the script itself shows denying ran no mutant: there is no edit to record.
      mutations: r.proof.mutations.map((m) =>
        m.from === "script"
          ? { rule: m.rule, explain: m.explain, denied_with: m.message, from: m.from, shown_in: m.shownIn }
          : { rule: m.rule, find: m.find, replace: m.replace, explain: m.explain, denied_with: m.message, from: m.from },
      ),
    });
  });
  // train/valid are what a trainer loads: one with no line is not written and the manifest names it `empty`.
  const splitFiles = writeLineFiles(dir, { "train.jsonl": train, "valid.jsonl": valid });
  const others = {
    "meta.jsonl": meta,
    "rejects.jsonl": rejects.map((r) => ({ id: r.id, index: r.index, spec: r.spec, reason: r.reason, stderr_tail: r.stderrTail })),
  };
  for (const [name, rows] of Object.entries(others)) writeJsonlAtomic(join(dir, name), rows);
  writeManifest(dir, {
    track: "witness",
    generator: GENERATOR_VERSION,
    config: opts.config,
    seed: opts.seed,
    requested: opts.count,
    shard: opts.shard,
    counts: { kept: kept.length, train: train.length, valid: valid.length, rejected: rejects.length },
    tools: opts.tools,
    files: [...splitFiles.written, ...Object.keys(others)],
    empty: splitFiles.empty,
    split: { valid_share: opts.validShare },
    partial: opts.partial,
  });
  return { kept: kept.length, train: train.length, valid: valid.length, rejected: rejects.length };
}
