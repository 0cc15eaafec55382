import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { sha256 } from "../dataset/hash.ts";
import { writeJsonlAtomic, writeLineFiles } from "../dataset/jsonl.ts";
import { type PartialSet, writeManifest } from "../dataset/manifest.ts";
import { splitAll, splitOf } from "../dataset/split.ts";
import { writeAtifFiles } from "./atif.ts";
import { OUTCOMES, ROLLOUT_FILES, type ToolArguments, type Trajectory } from "./record.ts";
import { divergence, type Format, line, messagesOf, type Msg, stepLinesOf } from "./steps.ts";

export type { Format } from "./steps.ts";

export interface PairRecord {
  prompt: Msg[];
  chosen: Msg[];
  rejected: Msg[];
}

/**
 * DPO pairs of one bundle: a keeper and a reject whose conversations first differ at an **assistant** turn;
 * the prompt is the shared history before it, chosen/rejected the continuations both really executed. Pairs
 * whose histories part at an environment turn (a user turn) are not pairs; identical continuations are dropped.
 */
export function pairsOf(
  keepers: Trajectory[],
  rejects: Trajectory[],
  format: Format,
  max: number,
  args: ToolArguments = "string",
): { pair: PairRecord; keeper: Trajectory; reject: Trajectory }[] {
  const out: { pair: PairRecord; keeper: Trajectory; reject: Trajectory }[] = [];
  const kept = keepers.map((k) => messagesOf(k, format, args));
  for (const r of rejects) {
    if (out.length >= max) return out;
    // One pair per reject: a reject is contrasted once, with the first keeper it diverges from.
    const rm = messagesOf(r, format, args);
    const d = divergence(kept, rm);
    if (!d) continue;
    const k = keepers[kept.indexOf(d.keeper)]!;
    out.push({ pair: { prompt: d.keeper.slice(0, d.at), chosen: d.keeper.slice(d.at), rejected: rm.slice(d.at) }, keeper: k, reject: r });
  }
  return out;
}

/** KTO line: the login screen as prompt, everything the operator did after it as the completion. */
function ktoOf(t: Trajectory, format: Format, args: ToolArguments, label: boolean): Record<string, unknown> {
  const m = messagesOf(t, format, args);
  return line(format, { prompt: m.slice(0, 1), completion: m.slice(1), label });
}

export interface RolloutCounts {
  samples: number;
  keepers: number;
  /** SFT lines of train.jsonl / valid.jsonl. */
  sft: number;
  sft_valid: number;
  dpo: number;
  dpo_valid: number;
  kto: number;
  kto_valid: number;
  /** Step-level KTO lines (kto-steps.jsonl / kto-steps-valid.jsonl). */
  kto_steps: number;
  kto_steps_valid: number;
  outcomes: Record<string, number>;
}

/** Options of the rollout outputs; `config` is the run's, its `[rollout]` table decides the split and the encoding. */
export interface RolloutOutputOptions {
  format: Format;
  validShare: number;
  maxPairs: number;
  config: Config;
  seed: number;
  bundleSetSha256: string;
  bundles: string[];
  /** Set when the run stopped early: the manifest says so. */
  partial?: PartialSet;
}

/**
 * Writes every output from the decided trajectories (all operators' samples of this directory), each file whole,
 * the manifest last. Infra errors are not data: they are neither trajectories nor negatives. Bundles are split
 * train/valid (`splitAll` over the bundles with a keeper, the others by `splitOf`): a bundle's SFT lines, DPO pairs
 * and KTO lines all go to the files of its split. A training file with no line is not written (manifest `empty`).
 */
export function writeRolloutOutputs(dir: string, all: Trajectory[], opts: RolloutOutputOptions): RolloutCounts {
  const args: ToolArguments = opts.config.rollout.tool_arguments;
  // In key order, not the order samples were decided in: a resumed run writes what an uninterrupted one writes.
  const scored = all.filter((t) => t.outcome !== "infra-error").sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, all.filter((t) => t.outcome === o).length]));
  const out = {
    train: [] as unknown[],
    valid: [] as unknown[],
    dpo: [] as unknown[],
    dpoValid: [] as unknown[],
    kto: [] as unknown[],
    ktoValid: [] as unknown[],
    ktoSteps: [] as unknown[],
    ktoStepsValid: [] as unknown[],
  };
  // dpo.meta.jsonl: the pairs of dpo.jsonl, line for line, then those of dpo-valid.jsonl (each with its split).
  const dpoMeta = { train: [] as unknown[], valid: [] as unknown[] };
  const byBundle = new Map<string, Trajectory[]>();
  for (const t of scored) byBundle.set(t.bundle_id, [...(byBundle.get(t.bundle_id) ?? []), t]);
  const withKeeper = [...byBundle.keys()].filter((id) => byBundle.get(id)!.some((t) => t.keep)).sort();
  const keeperSplits = splitAll(
    withKeeper.map((id) => sha256(id)),
    opts.validShare,
  );
  const splitOfBundle = new Map(withKeeper.map((id, i) => [id, keeperSplits[i]!]));
  for (const [bundleId, ts] of byBundle) {
    const keepers = ts.filter((t) => t.keep);
    // A passing sample that is not kept (a perturbation that changed nothing) is neither chosen nor rejected.
    const rejects = ts.filter((t) => t.outcome !== "success");
    const split = splitOfBundle.get(bundleId) ?? splitOf(sha256(bundleId), opts.validShare);
    const valid = split === "valid";
    const seen = new Set<string>();
    const distinct: Trajectory[] = [];
    for (const k of keepers) {
      const m = JSON.stringify(messagesOf(k, opts.format, args));
      if (seen.has(m)) continue; // the same trajectory twice teaches nothing twice
      seen.add(m);
      distinct.push(k);
      (valid ? out.valid : out.train).push(line(opts.format, { messages: messagesOf(k, opts.format, args) }));
    }
    for (const p of pairsOf(keepers, rejects, opts.format, opts.maxPairs, args)) {
      (valid ? out.dpoValid : out.dpo).push(line(opts.format, { ...p.pair }));
      dpoMeta[split].push({
        bundle_id: bundleId,
        split,
        chosen: p.keeper.key,
        rejected: p.reject.key,
        reject_outcome: p.reject.outcome,
        reject_checker: p.reject.checker?.output ?? "",
      });
    }
    // KTO takes every run of the bundle on its own: the keepers desirable, the rejects undesirable.
    for (const t of [...distinct, ...rejects]) (valid ? out.ktoValid : out.kto).push(ktoOf(t, opts.format, args, t.keep));
    // And step by step: a reject's turns up to where it parts from a keeper, each labelled on its own.
    (valid ? out.ktoStepsValid : out.ktoSteps).push(...stepLinesOf(distinct, rejects, opts.format, args));
  }
  const written = writeLineFiles(dir, {
    [ROLLOUT_FILES.train]: out.train,
    [ROLLOUT_FILES.valid]: out.valid,
    [ROLLOUT_FILES.dpo]: out.dpo,
    [ROLLOUT_FILES.dpoValid]: out.dpoValid,
    [ROLLOUT_FILES.kto]: out.kto,
    [ROLLOUT_FILES.ktoValid]: out.ktoValid,
    [ROLLOUT_FILES.ktoSteps]: out.ktoSteps,
    [ROLLOUT_FILES.ktoStepsValid]: out.ktoStepsValid,
  });
  const records: Record<string, unknown[]> = { [ROLLOUT_FILES.trajectories]: scored, [ROLLOUT_FILES.dpoMeta]: [...dpoMeta.train, ...dpoMeta.valid] };
  for (const [name, rows] of Object.entries(records)) writeJsonlAtomic(join(dir, name), rows);
  const atif = writeAtifFiles(dir, scored);
  const counts: RolloutCounts = {
    samples: scored.length,
    keepers: scored.filter((t) => t.keep).length,
    sft: out.train.length,
    sft_valid: out.valid.length,
    dpo: out.dpo.length,
    dpo_valid: out.dpoValid.length,
    kto: out.kto.length,
    kto_valid: out.ktoValid.length,
    kto_steps: out.ktoSteps.length,
    kto_steps_valid: out.ktoStepsValid.length,
    outcomes,
  };
  const usage = scored.reduce((a, t) => ({ prompt: a.prompt + t.usage.prompt_tokens, completion: a.completion + t.usage.completion_tokens }), {
    prompt: 0,
    completion: 0,
  });
  const { outcomes: _o, ...sizes } = counts;
  writeManifest(dir, {
    track: "rollout",
    generator: "rollout/2",
    config: opts.config,
    seed: opts.seed,
    requested: all.length,
    counts: { ...counts.outcomes, ...sizes, prompt_tokens: usage.prompt, completion_tokens: usage.completion },
    tools: {
      bundle_set_sha256: opts.bundleSetSha256,
      format: opts.format,
      tool_arguments: args,
      operators: [...new Set(scored.map((t) => `${t.operator}:${t.model}`))].sort().join(","),
    },
    files: [...written.written, ...Object.keys(records), ...atif, ...opts.bundles.map((id) => `bundles/${id}.json`)],
    empty: written.empty,
    split: { valid_share: opts.validShare },
    partial: opts.partial,
  });
  return counts;
}
