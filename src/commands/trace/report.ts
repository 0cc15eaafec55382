import { defineCommand } from "citty";
import { UsageError, WorkFailedError } from "../../errors.ts";
import { configArgs, createContext } from "../_context.ts";
import { printable } from "../../ui/format.ts";

const args = {
  ...configArgs,
  file: { type: "positional", required: true, description: "A trace file (VeriTrain 1.0 JSON)" },
  params: { type: "string", description: "Parameter count N, for the 6·N·D cross-check" },
  tokens: { type: "string", description: "Training tokens D, for the 6·N·D cross-check" },
  provenance: { type: "string", description: "A provenance side file from `trace from-mlx|from-hf` (gives N and D)" },
  json: { type: "boolean", description: "The report as JSON on stdout" },
} as const;

export default defineCommand({
  meta: { name: "report", description: "Place a trace against the legal compute thresholds; exit 1 when the 6·N·D cross-check disagrees" },
  args,
  async run({ args: a }) {
    const ctx = await createContext(a);
    const { readJsonExact } = await import("../../trace/parse.ts");
    const { checkTrace } = await import("../../trace/check.ts");
    const { reportTrace, renderReport } = await import("../../trace/report.ts");
    const { resolveParamsTokens } = await import("../../trace/provenance.ts");
    if ((a.params === undefined) !== (a.tokens === undefined)) throw new UsageError("--params and --tokens go together");
    const file = a.file as string;
    const doc = readJsonExact(file);
    const findings = checkTrace(doc, ctx.config.trace.privacy_keys);
    if (findings.length) ctx.log.warn(`${file} fails ${findings.length} rule(s) of \`trace check\`; the report uses its declared summary.total_flops`);
    const nd = resolveParamsTokens({
      params: a.params as string | undefined,
      tokens: a.tokens as string | undefined,
      provenance: a.provenance as string | undefined,
    });
    const report = reportTrace(file, doc, ctx.config.trace, nd);
    process.stderr.write(printable(renderReport(report), { multiline: true }));
    if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.crosscheck?.disagrees) {
      throw new WorkFailedError(
        `declared total ${report.total_flops} disagrees with 6·N·D = ${report.crosscheck.expected_flops} by more than a factor of ${report.crosscheck.factor}`,
      );
    }
  },
});
