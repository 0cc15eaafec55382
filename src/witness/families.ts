import type { WitnessConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import type { Family, ProofHooks } from "./family.ts";
import { type Draft, draftAttest, finish, type RenderedExample } from "./render.ts";
import type { ExampleSpec, FamilyName } from "./spec.ts";
import { inspect } from "./inspect.ts";
import { pipeline } from "./pipeline.ts";
import { policy } from "./policy.ts";
import { troubleshoot } from "./troubleshoot.ts";

/** The family behind a name; undefined for `attest` (rendered directly). */
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

/** The proof hooks of a spec's family (`Family`); none for `attest`. */
export function proofHooksOf(spec: ExampleSpec): ProofHooks | undefined {
  return spec.family && spec.family !== "attest" ? familyPlugin(spec.family) : undefined;
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

/** One example's question and answer sections, before the answer is rendered. */
export function draftExample(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): Draft {
  const attest = draftAttest(spec, cfg, catalog);
  const family = spec.family && spec.family !== "attest" ? familyPlugin(spec.family) : undefined;
  return family ? family.render(spec, cfg, catalog, attest) : attest;
}

/** Renders one example's question and answer; the answer's sh blocks are the whole proof. */
export function renderExample(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): RenderedExample {
  return finish(draftExample(spec, cfg, catalog));
}
