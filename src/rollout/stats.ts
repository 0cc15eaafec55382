import { existsSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "../dataset/jsonl.ts";
import { fileTokens, formatTokenLengths, type TokenLengths } from "../dataset/tokens.ts";
import { ROLLOUT_FILES, type Trajectory } from "./record.ts";

export interface RolloutStats {
  dir: string;
  samples: number;
  keepers: number;
  /** outcome counts per value of each taxonomy axis, e.g. by.task.archive.success */
  by: Record<string, Record<string, Record<string, number>>>;
  /** Shares of keepers whose cell ends in `panic` / is an empty queue, against the configured minimum. */
  terminal_balance: { panic: number; empty_queue: number; min_share: number; short: string[] };
  /**
   * Per perturbation kind: samples that made a negative, samples that still passed (recorded, never a negative),
   * and the negatives' outcomes. Kinds a bundle's cell gives no meaning to are never sampled, so never counted.
   */
  perturbations: Record<string, { negatives: number; passing: number; outcomes: Record<string, number> }>;
  /** Per training file present (train, valid, dpo, dpo-valid, kto, kto-valid, kto-steps, kto-steps-valid): its lines in tokens. */
  tokens: Record<string, TokenLengths>;
}

/** The token lengths of each training file of DIR that exists (a file with no line is not written). */
export async function trainingFileTokens(dir: string): Promise<Record<string, TokenLengths>> {
  const L = ROLLOUT_FILES;
  const out: Record<string, TokenLengths> = {};
  for (const name of [L.train, L.valid, L.dpo, L.dpoValid, L.kto, L.ktoValid, L.ktoSteps, L.ktoStepsValid]) {
    const file = join(dir, name);
    if (existsSync(file)) out[name] = await fileTokens(file);
  }
  return out;
}

/** Outcomes per task, provider, announcement, doc depth and difficulty; terminal balance of the keepers. */
export function rolloutStats(dir: string, minShare: number, panicDifficulties: string[]): Omit<RolloutStats, "tokens"> {
  const rows = readJsonl<Trajectory>(join(dir, ROLLOUT_FILES.trajectories)).map((r) => r.value);
  const by: RolloutStats["by"] = {};
  for (const t of rows) {
    for (const [axis, value] of Object.entries(t.cell)) {
      by[axis] ??= {};
      by[axis][value] ??= {};
      by[axis][value][t.outcome] = (by[axis][value][t.outcome] ?? 0) + 1;
    }
  }
  const perturbations: RolloutStats["perturbations"] = {};
  for (const t of rows) {
    if (t.operator !== "perturb" || t.outcome === "infra-error") continue;
    // A kind tried first that still passed counts as passing for its kind; the sample's own kind is the last tried.
    for (const kind of t.passed_kinds ?? []) (perturbations[kind] ??= { negatives: 0, passing: 0, outcomes: {} }).passing++;
    const p = (perturbations[t.variant] ??= { negatives: 0, passing: 0, outcomes: {} });
    if (t.outcome === "success") p.passing++;
    else {
      p.negatives++;
      p.outcomes[t.outcome] = (p.outcomes[t.outcome] ?? 0) + 1;
    }
  }
  const keepers = rows.filter((t) => t.keep);
  const share = (pick: (t: Trajectory) => boolean) => (keepers.length ? keepers.filter(pick).length / keepers.length : 0);
  const panic = share((t) => panicDifficulties.includes(t.cell.difficulty ?? ""));
  const empty = share((t) => t.cell.difficulty === "empty_queue");
  const short = [...(panic < minShare ? ["panic"] : []), ...(empty < minShare ? ["empty_queue"] : [])];
  return { dir, samples: rows.length, keepers: keepers.length, by, perturbations, terminal_balance: { panic, empty_queue: empty, min_share: minShare, short } };
}

/** Renders rollout statistics as a readable report. */
export function formatRolloutStats(s: RolloutStats): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const out = [`${s.dir}: ${s.samples} samples, ${s.keepers} keepers`];
  const b = s.terminal_balance;
  out.push(
    `keepers ending in panic ${pct(b.panic)}, empty-queue ${pct(b.empty_queue)} (min ${pct(b.min_share)} each)${b.short.length ? ` — short: ${b.short.join(", ")}` : ""}`,
  );
  for (const [axis, values] of Object.entries(s.by)) {
    const items = Object.entries(values).map(
      ([v, o]) =>
        `${v}{${Object.entries(o)
          .map(([k, n]) => `${k}=${n}`)
          .join(" ")}}`,
    );
    out.push(`${axis}: ${items.join(" ")}`);
  }
  const kinds = Object.entries(s.perturbations).sort(([a], [b]) => (a < b ? -1 : 1));
  if (kinds.length) {
    const made = kinds.filter(([, p]) => p.negatives > 0).length;
    out.push(`perturbations: ${made} kinds made negatives; per kind negatives / still passing (never a negative):`);
    for (const [k, p] of kinds)
      out.push(
        `  ${k}: ${p.negatives} / ${p.passing}${
          p.negatives
            ? ` (${Object.entries(p.outcomes)
                .map(([o, n]) => `${o}=${n}`)
                .join(" ")})`
            : ""
        }`,
      );
  }
  for (const [file, t] of Object.entries(s.tokens)) out.push(`${file}: ${formatTokenLengths(t)}`);
  return `${out.join("\n")}\n`;
}
