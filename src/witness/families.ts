import type { WitnessConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import type { RenderedExample } from "./render.ts";
import type { ExampleSpec, FamilyName } from "./spec.ts";
import { inspect } from "./inspect.ts";
import { pipeline } from "./pipeline.ts";
import { policy } from "./policy.ts";
import { troubleshoot } from "./troubleshoot.ts";

/**
 * A kind of question besides `attest` (`witness.families`). The sampler draws an attest spec, the family fits
 * it (`shape`), and renders the example from the attest rendering of the same spec. Whatever else the answer
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
  render: (spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog, attest: RenderedExample) => RenderedExample;
}

/** The family behind a name; undefined for `attest` (rendered directly). Looked up lazily: the modules import each other. */
export function familyPlugin(name: FamilyName): Family | undefined {
  switch (name) {
    case "troubleshoot":
      return troubleshoot;
    case "inspect":
      return inspect;
    case "pipeline":
      return pipeline;
    case "policy":
      return policy;
    default:
      return undefined;
  }
}

/** The sampler's shapers for the families the config enables (weight > 0, with question templates). */
export function familyShapers(cfg: WitnessConfig): Partial<Record<FamilyName, (spec: ExampleSpec, turn: number) => boolean>> {
  const out: Partial<Record<FamilyName, (spec: ExampleSpec, turn: number) => boolean>> = {};
  for (const [name, f] of Object.entries(cfg.families) as [FamilyName, { weight: number } | undefined][]) {
    const plugin = name === "attest" ? undefined : familyPlugin(name);
    if (plugin && f && f.weight > 0 && plugin.questions(cfg).length) out[name] = (spec, turn) => plugin.shape(spec, turn, cfg);
  }
  return out;
}

/** The question templates a spec's `question` indexes: `witness.questions` for attest, else its family's. */
export function questionTemplates(spec: ExampleSpec, cfg: WitnessConfig): string[] {
  const name = spec.family ?? "attest";
  return name === "attest" ? cfg.questions : (familyPlugin(name)?.questions(cfg) ?? []);
}
