import type { WitnessConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import type { Draft, RenderedExample } from "./render.ts";
import type { ScriptEnv, ScriptOutcome } from "./script.ts";
import type { ExampleSpec } from "./spec.ts";

/** troubleshoot: how the user's broken script really failed (the error is what the question quotes). */
export interface BrokenProof {
  cause: string;
  failedAs: string;
  failingCommand: string;
  exitCode: number;
  error: string;
}

/** What a family's extra proof adds to the proof record (and so to meta), under its own key. */
export interface ExtraProofs {
  broken?: BrokenProof;
}

/** A proof that failed: its reject reason and class, and the tail of what the failing run printed. */
export interface ProofFailure {
  ok: false;
  kind: string;
  reason: string;
  stderrTail: string;
}

/** What an extra proof may do: run a variant of the kept script (from the last checkpoint before its first edit). */
export interface ExtraProofContext {
  script: string;
  run: (variant: string, extra: Partial<ScriptEnv>) => Promise<ScriptOutcome>;
}

/**
 * A family's hooks into proving an example (all optional; `prove.ts` and `gen.ts` call them and name no family).
 * - `precheck`: a reason the draft cannot be proved at all, decided before anything runs.
 * - `extraProof`: runs after the kept script and its mutations passed (troubleshoot's broken run).
 * - `settle`: the example as recorded once its proof passed (troubleshoot's question quotes the broken run's error).
 */
export interface ProofHooks {
  precheck?: (ex: RenderedExample) => ProofFailure | undefined;
  extraProof?: (ex: RenderedExample, ctx: ExtraProofContext) => Promise<ProofFailure | { ok: true; extra: ExtraProofs }>;
  settle?: (ex: RenderedExample, extra: ExtraProofs) => RenderedExample;
}

/**
 * A kind of question besides `attest` (`witness.families`). The sampler draws an attest spec, the family fits
 * it (`shape`), and drafts the example from the attest draft of the same spec, adding, dropping and replacing its
 * sections by id (`sections.ts`); the answer's Markdown is rendered last, from the sections. Whatever else the answer
 * teaches, its script still ends with `witness verify` succeeding, and what it asserts on the way is in `checks`.
 */
export interface Family extends ProofHooks {
  /** The family's question templates (`witness.families.<name>.questions`). */
  questions: (cfg: WitnessConfig) => string[];
  /**
   * Fits a sampled spec to the family, setting what it adds (`cause`, `variant`, `question`, ...); false skips
   * the spec. `turn` counts this family's specs so far, for round-robin over its variants and templates.
   */
  shape: (spec: ExampleSpec, turn: number, cfg: WitnessConfig) => boolean;
  render: (spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog, attest: Draft) => Draft;
}
