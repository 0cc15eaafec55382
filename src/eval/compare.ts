import { readBoundedText, READ_LIMITS } from "../files.ts";
import { InputError } from "../errors.ts";
import { printable } from "../ui/format.ts";
import type { EvalReport } from "./report.ts";

/** Reads an eval report (OUT/eval.json); anything else is an InputError naming the file. */
export function readReport(file: string): EvalReport {
  let value: unknown;
  try {
    value = JSON.parse(readBoundedText(file, READ_LIMITS.manifest, "eval report"));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: not JSON (${(error as Error).message})`);
  }
  const r = value as Partial<EvalReport> | null;
  if (r?.type !== "sekft-eval" || (r.track !== "witness" && r.track !== "shell") || typeof r.overall !== "object")
    throw new InputError(`${file}: not a sekft eval report`, "Pass the eval.json that `sekft eval` wrote.");
  return r as EvalReport;
}

/** The comparable figures of a report, by name: rates and pass@k (as fractions), tokens and seconds per answer. */
export function metricsOf(r: EvalReport): Map<string, number> {
  const out = new Map<string, number>();
  const put = (name: string, v: number | null | undefined) => {
    if (typeof v === "number" && Number.isFinite(v)) out.set(name, v);
  };
  put("pass@1", r.overall.pass_at_1);
  put(`pass@${r.samples}`, r.samples > 1 ? r.overall.pass_at_k : null);
  if (r.track === "witness") {
    for (const [group, by] of [
      ["family", r.by_family],
      ["attestor", r.by_attestor],
    ] as const)
      for (const [name, g] of Object.entries(by)) put(`${group} ${name} pass@1`, g.pass_at_1);
    for (const [cause, v] of Object.entries(r.by_cause)) put(`cause ${cause} share`, v.share);
    put("tokens/answer prompt", r.tokens.per_answer.prompt);
    put("tokens/answer completion", r.tokens.per_answer.completion);
    put("seconds/answer model", r.seconds.model_per_answer);
    put("seconds/answer run", r.seconds.run_per_answer);
  } else {
    for (const [axis, values] of Object.entries(r.by_axis)) for (const [v, s] of Object.entries(values)) put(`${axis} ${v} success`, s.rate);
    for (const [t, s] of Object.entries(r.by_terminal)) put(`terminal ${t} success`, s.rate);
    put("wrong-terminal share", r.wrong_terminal.share);
    put("tokens/sample prompt", r.tokens.per_sample.prompt);
    put("tokens/sample completion", r.tokens.per_sample.completion);
    put("seconds/sample", r.seconds.per_sample);
  }
  return out;
}

/** One compared figure: A, B and B − A (null where a report lacks it). */
export interface ComparedMetric {
  metric: string;
  a: number | null;
  b: number | null;
  diff: number | null;
}

/** Every figure of either report, A's order first. */
export function compareReports(a: EvalReport, b: EvalReport): ComparedMetric[] {
  const ma = metricsOf(a);
  const mb = metricsOf(b);
  const names = [...new Set([...ma.keys(), ...mb.keys()])];
  return names.map((metric) => {
    // A cause a report does not list is a cause none of its answers had: share 0, not unknown.
    const absent = metric.startsWith("cause ") ? 0 : null;
    const x = ma.get(metric) ?? absent;
    const y = mb.get(metric) ?? absent;
    return { metric, a: x, b: y, diff: x !== null && y !== null ? y - x : null };
  });
}

/** The side-by-side table: rates as percentages (difference in points), other figures as numbers. */
export function formatComparison(a: EvalReport, b: EvalReport, rows: ComparedMetric[]): string {
  const isRate = (m: string) => /pass@|success|share/.test(m);
  const fmt = (m: string, v: number | null, sign = false) => {
    if (v === null) return "—";
    const s = isRate(m) ? `${(v * 100).toFixed(1)}${sign ? " pt" : "%"}` : `${Math.round(v * 1000) / 1000}`;
    return sign && v > 0 ? `+${s}` : s;
  };
  const body = [["metric", "A", "B", "B − A"], ...rows.map((r) => [printable(r.metric), fmt(r.metric, r.a), fmt(r.metric, r.b), fmt(r.metric, r.diff, true)])];
  const widths = body[0]!.map((_, c) => Math.max(...body.map((r) => r[c]!.length)));
  const lines = body.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
  const who = (r: EvalReport) => `${printable(r.model)} (${r.track}, ${r.samples} sample${r.samples === 1 ? "" : "s"}, ${printable(r.created)})`;
  const warn = a.track !== b.track ? ["note: the reports are of different tracks"] : [];
  return [`A: ${who(a)}`, `B: ${who(b)}`, ...warn, ...lines].join("\n");
}
