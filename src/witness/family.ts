import type { WitnessConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import type { Draft } from "./render.ts";
import type { ExampleSpec } from "./spec.ts";

/**
 * A kind of question besides `attest` (`witness.families`). The sampler draws an attest spec, the family fits
 * it (`shape`), and drafts the example from the attest draft of the same spec, adding, dropping and replacing its
 * sections by id (`sections.ts`); the answer's Markdown is rendered last, from the sections. Whatever else the answer
 * teaches, its script still ends with `witness verify` succeeding, and what it asserts on the way is in `checks`.
 */
export interface Family {
  /** The family's question templates (`witness.families.<name>.questions`). */
  questions: (cfg: WitnessConfig) => string[];
  /**
   * Fits a sampled spec to the family, setting what it adds (`cause`, `variant`, `question`, ...); false skips
   * the spec. `turn` counts this family's specs so far, for round-robin over its variants and templates.
   */
  shape: (spec: ExampleSpec, turn: number, cfg: WitnessConfig) => boolean;
  render: (spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog, attest: Draft) => Draft;
}
