import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WitnessConfig } from "../../src/config/witness-schema.ts";
import { parseAttestorList, type Catalog } from "../../src/witness/catalog.ts";
import type { Dimensions } from "../../src/witness/spec.ts";
import { fencedBlocks } from "../../src/dataset/chat.ts";
import type { SectionId, SectionSpan } from "../../src/witness/sections.ts";

/** The real `witness attestors list` table of v0.11.0, captured as a fixture for unit tests. */
export function fixtureCatalog(): Catalog {
  const text = readFileSync(join(import.meta.dir, "../../fixtures/witness/attestors-list.txt"), "utf8");
  return {
    witness: "witness",
    version: "v0.11.0",
    types: parseAttestorList(text),
    sbomTypes: { spdx: "https://spdx.dev/Document", cyclonedx: "https://cyclonedx.org/bom" },
  };
}

/** Sampler dimensions straight from a config, without probing tools. */
export function dimsOf(cfg: WitnessConfig): Dimensions {
  const excluded = new Set(cfg.excluded_attestors);
  const attestors = cfg.attestors.filter((a) => !excluded.has(a.name));
  return {
    steps: cfg.steps,
    questions: cfg.questions,
    attestors,
    commands: cfg.commands,
    rego: cfg.rego,
    keyTypes: cfg.key_types,
    projectsWithLockfile: new Set(cfg.projects.filter((p) => p.lockfile).map((p) => p.name)),
    min: cfg.min_attestors,
    max: cfg.max_attestors,
    maxRules: cfg.max_rules,
    paraphrases: cfg.paraphrases_per_answer,
    chainShare: cfg.chain_share,
    chainSteps: cfg.chain_steps,
    stepCommands: cfg.step_commands,
    minimalWords: cfg.minimal_words,
  };
}

/** A hand-written answer as a generated one: its `sh` blocks are, in order, the sections `ids` (`RenderedExample.layout`). */
export function laidOut(answer: string, ids: SectionId[]): { answer: string; layout: SectionSpan[] } {
  const blocks = fencedBlocks(answer).filter((f) => f.lang === "sh");
  if (blocks.length !== ids.length) throw new Error(`${blocks.length} sh blocks, ${ids.length} section ids`);
  let at = 0;
  const layout = blocks.map((b, i) => {
    const n = b.body.split("\n").length;
    at += n;
    return { id: ids[i]!, from: at - n, to: at };
  });
  return { answer, layout };
}
