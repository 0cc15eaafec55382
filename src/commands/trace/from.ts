import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { configArgs, createContext } from "../_context.ts";
import { printable } from "../../ui/format.ts";

const common = {
  ...configArgs,
  out: { type: "string", description: "Write the trace here (atomically) instead of stdout; the provenance goes to OUT.provenance.json" },
  provenance: { type: "string", description: "Where to write the provenance side file (N, D, formula)" },
  start: { type: "string", description: "Training start, RFC 3339 (default: the input's mtime minus the training duration)" },
} as const;

const mlxArgs = {
  ...common,
  log: { type: "positional", required: true, description: "An mlx-lm LoRA training log (≤ 0.31 lines or ≥ 0.32 table)" },
  params: { type: "string", required: true, description: "Parameter count N for 6·N·D" },
} as const;

const hfArgs = {
  ...common,
  state: { type: "positional", required: true, description: "A Hugging Face Trainer trainer_state.json" },
  params: { type: "string", description: "Parameter count N: with num_input_tokens_seen in the logs, FLOPs are 6·N·D" },
} as const;

type Built = { built: import("../../trace/build.ts").BuiltTrace; provenance: import("../../trace/provenance.ts").Provenance };

async function emit(a: { out?: string; provenance?: string; config?: string; verbose?: boolean }, make: () => Built): Promise<void> {
  const ctx = await createContext(a);
  const { emitTrace, renderProvenance } = await import("../../trace/build.ts");
  const { checkTrace } = await import("../../trace/check.ts");
  const { parseJsonExact } = await import("../../trace/parse.ts");
  const { built, provenance } = make();
  const out = emitTrace(built, provenance, { out: a.out, provenanceOut: a.provenance });
  // A trace sekft writes must pass its own check; failing here is a bug, not bad input.
  const findings = checkTrace(parseJsonExact(out.text, "generated trace"), ctx.config.trace.privacy_keys);
  if (findings.length) throw new Error(`generated trace fails trace check: ${JSON.stringify(findings)}`);
  if (!a.out) process.stdout.write(out.text);
  process.stderr.write(printable(renderProvenance(provenance), { multiline: true }));
  if (out.provenanceFile) ctx.log.info(`provenance written to ${out.provenanceFile}`);
  if (a.out) ctx.log.success(`wrote ${a.out}: ${provenance.total_flops} FLOP`);
}

export const fromMlx = defineCommand({
  meta: { name: "from-mlx", description: "Turn an mlx-lm LoRA log into a trace (FLOPs = 6·N·D)" },
  args: mlxArgs,
  async run({ args: a }) {
    const { parseCount } = await import("../../trace/provenance.ts");
    const { traceFromMlx } = await import("../../trace/from-mlx.ts");
    const params = parseCount("--params", a.params as string);
    await emit(a as never, () => traceFromMlx(a.log as string, params, { start: a.start as string | undefined }));
  },
});

export const fromHf = defineCommand({
  meta: { name: "from-hf", description: "Turn a Hugging Face trainer_state.json into a trace" },
  args: hfArgs,
  async run({ args: a }) {
    const { parseCount } = await import("../../trace/provenance.ts");
    const { traceFromHf } = await import("../../trace/from-hf.ts");
    if (a.params === "") throw new UsageError("--params needs a value");
    const params = a.params === undefined ? undefined : parseCount("--params", a.params as string);
    await emit(a as never, () => traceFromHf(a.state as string, params, { start: a.start as string | undefined }));
  },
});
