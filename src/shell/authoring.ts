import type { RunContext } from "../context.ts";
import { authorBundleWithModel } from "../llm/teacher.ts";
import type { TokenLedger } from "../llm/ledger.ts";
import type { Limiter } from "../llm/limiter.ts";
import { BUILTIN_VERSION, parseScenario, type Cell, type Scenario } from "./bundle.ts";
import { composeBuiltin } from "./builtin/compose.ts";
import type { BundleStore } from "./store.ts";
import { TEACHER_PROMPT, TEACHER_PROMPT_VERSION } from "./teacher-prompt.ts";

/** An authored scenario with its provenance, or the reason authoring gave up. */
export type Authored =
  | {
      ok: true;
      scenario: Scenario;
      author:
        | { kind: "builtin"; version: string; seed: number }
        | { kind: "model"; model: string; prompt_version: string; usage: { prompt_tokens: number; completion_tokens: number }; attempts: number };
    }
  | { ok: false; reason: string };

/** Builtin: templates composed offline; each retry uses another variant seed. */
export function authorBuiltin(cell: Cell, seed: number, attempt: number, ctx: RunContext): Authored {
  const variant = seed + attempt * 100_003;
  const parsed = parseScenario(composeBuiltin(cell, variant), ctx.config.shell.limits);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return { ok: true, scenario: parsed.scenario, author: { kind: "builtin", version: BUILTIN_VERSION, seed: variant } };
}

/** Model: the teacher is asked through the openai client; every reply is untrusted and validated here. */
export async function authorWithModel(cell: Cell, ctx: RunContext, store: BundleStore, limiter: Limiter, ledger?: TokenLedger): Promise<Authored> {
  const { teacher, limits } = ctx.config.shell;
  const result = await authorBundleWithModel({
    cell,
    prompt: TEACHER_PROMPT,
    teacher,
    env: ctx.env,
    signal: ctx.signal,
    limiter,
    ledger,
    label: Object.values(cell).join("/"),
    validate: (raw) => {
      const parsed = parseScenario(raw, limits);
      if (parsed.ok) return null;
      // Each refused reply is recorded, not only the last one.
      store.reject({ cell, author: `model:${teacher.model}`, stage: "validate", reason: parsed.reason });
      return parsed.reason;
    },
  });
  if (!result.ok) return { ok: false, reason: result.reason };
  const parsed = parseScenario(result.raw, limits);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return {
    ok: true,
    scenario: parsed.scenario,
    author: {
      kind: "model",
      model: teacher.model,
      prompt_version: TEACHER_PROMPT_VERSION,
      usage: { prompt_tokens: result.usage.prompt_tokens, completion_tokens: result.usage.completion_tokens },
      attempts: result.attempts,
    },
  };
}
