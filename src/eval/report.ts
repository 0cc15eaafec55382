import type { PartialSet } from "../dataset/manifest.ts";
import { printable } from "../ui/format.ts";
import type { GroupScore, Interval } from "./metrics.ts";

/** How each interval in a report is made (written into every report). */
export const INTERVALS = {
  level: 0.95,
  pass_at_1: "Wilson score interval over the group's scored answers",
  pass_at_k: "percentile bootstrap over the group's questions (1000 resamples, seeded)",
  rates: "Wilson score interval over the scored samples",
} as const;

/** A share of scored answers or samples, with its Wilson interval. */
export interface Rate {
  count: number;
  share: number;
  ci: Interval;
}

interface ReportBase {
  type: "sekft-eval";
  version: 1;
  model: string;
  endpoint: string;
  samples: number;
  created: string;
  intervals: typeof INTERVALS;
  overall: GroupScore;
  /** Set when the run stopped early (`--max-time`, a signal): the figures cover the answers it has. */
  partial?: PartialSet;
}

/** OUT/eval.json of a witness eval. */
export interface WitnessEvalReport extends ReportBase {
  track: "witness";
  dataset: string;
  split: "train" | "valid";
  temperature: number;
  max_tokens: number;
  runner: "sandbox" | "host";
  witness_version: string;
  questions: number;
  answers: number;
  scored: number;
  infra_errors: number;
  by_family: Record<string, GroupScore>;
  by_attestor: Record<string, GroupScore>;
  by_cause: Record<string, Rate>;
  tokens: { prompt: number; completion: number; requests: number; per_answer: { prompt: number; completion: number } };
  seconds: { model_per_answer: number; run_per_answer: number; wall: number };
  outputs: { answers: string; sft: string; sft_lines: number; sft_meta: string };
}

/** A success rate of a group of shell samples. */
export interface SuccessRate {
  samples: number;
  success: number;
  rate: number;
  ci: Interval;
}

/** OUT/eval.json of a shell eval. */
export interface ShellEvalReport extends ReportBase {
  track: "shell";
  bundles_dir: string;
  bundles: number;
  samples_run: number;
  scored: number;
  infra_errors: number;
  outcomes: Record<string, number>;
  by_axis: Record<string, Record<string, SuccessRate>>;
  by_terminal: Record<string, SuccessRate>;
  wrong_terminal: Rate;
  tokens: { prompt: number; completion: number; per_sample: { prompt: number; completion: number } };
  seconds: { per_sample: number; wall: number };
  outputs: { rollout: string };
}

export type EvalReport = WitnessEvalReport | ShellEvalReport;

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const ci = (i: Interval | null) => (i ? `[${pct(i[0])}, ${pct(i[1])}]` : "");

/** Rows of a table, padded to column widths. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

function groupRows(title: string, groups: Record<string, GroupScore>, k: number): string[][] {
  return Object.entries(groups).map(([name, g]) => [
    `${title}${printable(name)}`,
    String(g.questions),
    `${g.passed}/${g.answers}`,
    pct(g.pass_at_1),
    ci(g.pass_at_1_ci),
    k > 1 ? pct(g.pass_at_k) : "",
    k > 1 ? ci(g.pass_at_k_ci) : "",
  ]);
}

/** The people's table of an eval report (stderr). */
export function formatReport(r: EvalReport): string {
  const k = r.samples;
  const head = `${r.track} eval of ${printable(r.model)} at ${printable(r.endpoint)}${r.partial ? ` (partial: ${r.partial.reason})` : ""}`;
  if (r.track === "witness") {
    const rows = [
      ["group", "questions", "passed", "pass@1", "95% (Wilson)", k > 1 ? `pass@${k}` : "", k > 1 ? "95% (bootstrap)" : ""],
      ...groupRows("", { overall: r.overall }, k),
      ...groupRows("family ", r.by_family, k),
      ...groupRows("attestor ", r.by_attestor, k),
    ];
    const causes = Object.entries(r.by_cause).map(([c, v]) => [`cause ${printable(c)}`, "", String(v.count), pct(v.share), ci(v.ci), "", ""]);
    return [
      `${head}: ${r.questions} questions of ${printable(r.dataset)} (${r.split}), ${r.scored} answers scored${r.infra_errors ? `, ${r.infra_errors} infra errors not scored` : ""}`,
      table([...rows, ...causes]),
      `tokens per answer: ${r.tokens.per_answer.prompt} prompt, ${r.tokens.per_answer.completion} completion; seconds per answer: ${r.seconds.model_per_answer} model, ${r.seconds.run_per_answer} run`,
      `kept ${r.outputs.sft_lines} passing answer(s) in ${r.outputs.sft} (split ${r.split})`,
    ].join("\n");
  }
  const rate = (name: string, s: SuccessRate) => [name, String(s.samples), `${s.success}`, pct(s.rate), ci(s.ci)];
  const rows = [
    ["group", "samples", "success", "rate", "95% (Wilson)"],
    rate("overall", { samples: r.overall.answers, success: r.overall.passed, rate: r.overall.pass_at_1, ci: r.overall.pass_at_1_ci }),
    ...Object.entries(r.by_axis).flatMap(([axis, values]) => Object.entries(values).map(([v, s]) => rate(`${axis} ${printable(v)}`, s))),
    ...Object.entries(r.by_terminal).map(([t, s]) => rate(`terminal ${printable(t)}`, s)),
  ];
  return [
    `${head}: ${r.bundles} bundles × ${k}, ${r.scored} samples scored${r.infra_errors ? `, ${r.infra_errors} infra errors not scored` : ""}`,
    table(rows),
    `wrong terminal: ${r.wrong_terminal.count} (${pct(r.wrong_terminal.share)} ${ci(r.wrong_terminal.ci)}); pass@${k} over bundles ${pct(r.overall.pass_at_k)}`,
  ].join("\n");
}
