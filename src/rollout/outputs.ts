import { join } from "node:path";
import { sha256 } from "../dataset/hash.ts";
import { writeJsonlAtomic } from "../dataset/jsonl.ts";
import { type PartialSet, writeManifest } from "../dataset/manifest.ts";
import { splitOf } from "../dataset/split.ts";
import { writeAtifFiles } from "./atif.ts";
import { chatMessages, OUTCOMES, RUN_COMMAND_TOOL, toolMessages, type Trajectory } from "./record.ts";

export type Format = "chat" | "tools";

type Msg = Record<string, unknown>;

function messagesOf(t: Trajectory, format: Format): Msg[] {
  return format === "tools" ? toolMessages(t) : (chatMessages(t) as Msg[]);
}

/** A training line in the chosen format: `{messages}` (chat) or `{messages, tools}` (tools). */
function line(format: Format, fields: Record<string, unknown>): Record<string, unknown> {
  return format === "tools" ? { ...fields, tools: [RUN_COMMAND_TOOL] } : fields;
}

/** Index of the first message where two conversations differ, or -1 when one is a prefix of the other. */
function firstDifference(a: Msg[], b: Msg[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  return a.length === b.length ? -1 : n;
}

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
): { pair: PairRecord; keeper: Trajectory; reject: Trajectory }[] {
  const out: { pair: PairRecord; keeper: Trajectory; reject: Trajectory }[] = [];
  for (const r of rejects) {
    for (const k of keepers) {
      if (out.length >= max) return out;
      const km = messagesOf(k, format);
      const rm = messagesOf(r, format);
      const i = firstDifference(km, rm);
      if (i < 0 || km[i]?.role !== "assistant" || rm[i]?.role !== "assistant") continue;
      out.push({ pair: { prompt: km.slice(0, i), chosen: km.slice(i), rejected: rm.slice(i) }, keeper: k, reject: r });
      break; // one pair per reject: a reject is contrasted once, with the first keeper it diverges from
    }
  }
  return out;
}

/** KTO line: the login screen as prompt, everything the operator did after it as the completion. */
function ktoOf(t: Trajectory, format: Format, label: boolean): Record<string, unknown> {
  const m = messagesOf(t, format);
  return line(format, { prompt: m.slice(0, 1), completion: m.slice(1), label });
}

export interface RolloutCounts {
  samples: number;
  keepers: number;
  sft: number;
  sft_valid: number;
  dpo: number;
  kto: number;
  outcomes: Record<string, number>;
}

/**
 * Writes every output from the decided trajectories (all operators' samples of this directory), each file whole,
 * the manifest last. Infra errors are not data: they are neither trajectories nor negatives.
 */
export function writeRolloutOutputs(
  dir: string,
  all: Trajectory[],
  opts: {
    format: Format;
    validShare: number;
    maxPairs: number;
    config: unknown;
    seed: number;
    bundleSetSha256: string;
    bundles: string[];
    /** Set when the run stopped early: the manifest says so. */
    partial?: PartialSet;
  },
): RolloutCounts {
  const scored = all.filter((t) => t.outcome !== "infra-error");
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, all.filter((t) => t.outcome === o).length]));
  const sft: unknown[] = [];
  const sftValid: unknown[] = [];
  const dpo: unknown[] = [];
  const dpoMeta: unknown[] = [];
  const kto: unknown[] = [];
  const byBundle = new Map<string, Trajectory[]>();
  for (const t of scored) byBundle.set(t.bundle_id, [...(byBundle.get(t.bundle_id) ?? []), t]);
  for (const [bundleId, ts] of byBundle) {
    const keepers = ts.filter((t) => t.keep);
    // A passing sample that is not kept (a perturbation that changed nothing) is neither chosen nor rejected.
    const rejects = ts.filter((t) => t.outcome !== "success");
    const split = splitOf(sha256(bundleId), opts.validShare);
    const seen = new Set<string>();
    for (const k of keepers) {
      const m = JSON.stringify(messagesOf(k, opts.format));
      if (seen.has(m)) continue; // the same trajectory twice teaches nothing twice
      seen.add(m);
      (split === "valid" ? sftValid : sft).push(line(opts.format, { messages: messagesOf(k, opts.format) }));
    }
    const pairs = pairsOf(keepers, rejects, opts.format, opts.maxPairs);
    const paired = new Set(pairs.flatMap((p) => [p.keeper.key, p.reject.key]));
    for (const p of pairs) {
      dpo.push(line(opts.format, { ...p.pair }));
      dpoMeta.push({
        bundle_id: bundleId,
        chosen: p.keeper.key,
        rejected: p.reject.key,
        reject_outcome: p.reject.outcome,
        reject_checker: p.reject.checker?.output ?? "",
      });
    }
    for (const t of [...keepers, ...rejects]) if (!paired.has(t.key)) kto.push(ktoOf(t, opts.format, t.keep));
  }
  const files: Record<string, unknown[]> = {
    "trajectories.jsonl": scored,
    "sft.jsonl": sft,
    "sft-valid.jsonl": sftValid,
    "dpo.jsonl": dpo,
    "dpo.meta.jsonl": dpoMeta,
    "kto.jsonl": kto,
  };
  for (const [name, rows] of Object.entries(files)) writeJsonlAtomic(join(dir, name), rows);
  const atif = writeAtifFiles(dir, scored);
  const counts: RolloutCounts = {
    samples: scored.length,
    keepers: scored.filter((t) => t.keep).length,
    sft: sft.length,
    sft_valid: sftValid.length,
    dpo: dpo.length,
    kto: kto.length,
    outcomes,
  };
  const usage = scored.reduce((a, t) => ({ prompt: a.prompt + t.usage.prompt_tokens, completion: a.completion + t.usage.completion_tokens }), {
    prompt: 0,
    completion: 0,
  });
  writeManifest(dir, {
    track: "rollout",
    generator: "rollout/1",
    config: opts.config,
    seed: opts.seed,
    requested: all.length,
    counts: {
      ...counts.outcomes,
      samples: counts.samples,
      keepers: counts.keepers,
      sft: counts.sft,
      sft_valid: counts.sft_valid,
      dpo: counts.dpo,
      kto: counts.kto,
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
    },
    tools: {
      bundle_set_sha256: opts.bundleSetSha256,
      format: opts.format,
      operators: [...new Set(scored.map((t) => `${t.operator}:${t.model}`))].sort().join(","),
    },
    files: [...Object.keys(files), ...atif, ...opts.bundles.map((id) => `bundles/${id}.json`)],
    partial: opts.partial,
  });
  return counts;
}
