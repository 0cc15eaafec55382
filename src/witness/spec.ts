import { canonical, sha256 } from "../dataset/hash.ts";
import type { AttestorConfig, CommandConfig, RegoConfig, WitnessConfig } from "../config/witness-schema.ts";
import { Rng } from "../rng.ts";
import { stepsFor, templateScope } from "./scope.ts";

export type KeyType = WitnessConfig["key_types"][number];

/** One example, fully determined: everything the answer text depends on, plus the question. */
export interface ExampleSpec {
  step: string;
  command: string;
  attestors: string[];
  rules: string[];
  keys: { step: KeyType; policy: KeyType };
  question: number;
  /** A second step that packs the first one's artifact, linked by artifactsFrom; null for one step. */
  chain: string | null;
  /** The kind of question (`witness.families`); absent: `attest`. */
  family?: FamilyName;
  /** troubleshoot: the cause the user's broken script has (`troubleshoot.ts`). */
  cause?: string;
  /** inspect, policy, pipeline: which of the family's variants (the field inspected, the requirement, the steps). */
  variant?: string;
}

export const FAMILIES = ["attest", "troubleshoot", "inspect", "policy", "pipeline"] as const;
export type FamilyName = (typeof FAMILIES)[number];

/** An example's family. */
export function familyOf(spec: ExampleSpec): FamilyName {
  return spec.family ?? "attest";
}

/** Bump when the rendered text changes for the same spec, so ids never collide across versions. */
export const GENERATOR_VERSION = "witness-gen/12";

/** An example's id: its canonical spec and the generator version. */
export function specId(spec: ExampleSpec): string {
  return sha256(`${GENERATOR_VERSION}\n${canonical(spec)}`).slice(0, 16);
}

/** The answer group: every spec field but the question, i.e. specs that render the same answer. */
export function answerGroup(spec: ExampleSpec): string {
  const { question: _q, ...rest } = spec;
  return sha256(canonical(rest)).slice(0, 16);
}

/** The pieces of config a sampler draws from, after dropping what cannot run here. */
export interface Dimensions {
  steps: string[];
  questions: string[];
  attestors: AttestorConfig[];
  commands: CommandConfig[];
  rego: RegoConfig[];
  keyTypes: KeyType[];
  projectsWithLockfile: Set<string>;
  min: number;
  max: number;
  maxRules: number;
  paraphrases: number;
  chainShare: number;
  chainSteps: string[];
  /** `witness.step_commands`: step name -> the commands a step of that name may run. */
  stepCommands: Record<string, string[]>;
  /** `witness.minimal_words`: a question template with one of them asks for the smallest answer. */
  minimalWords: string[];
  /** Families and weights; absent: every example is `attest`. */
  families?: { name: FamilyName; weight: number; questions: number }[];
}

/** Which rules an example may carry, given its attestors and command. */
export function ruleApplies(rule: RegoConfig, chosen: Set<string>, cmd: CommandConfig, dims: Dimensions): boolean {
  const picked = dims.attestors.filter((a) => chosen.has(attestorId(a)));
  const always = rule.attestor === "material" || rule.attestor === "product" || rule.attestor === "command-run";
  if (!always && !picked.some((a) => a.name === rule.attestor)) return false;
  if (rule.requires_setup === "lockfile") return dims.projectsWithLockfile.has(cmd.project);
  if (rule.requires_setup) return picked.some((a) => a.setup === rule.requires_setup);
  return true;
}

/** An attestor entry's id: its `id`, or its witness name. */
export function attestorId(a: AttestorConfig): string {
  return a.id ?? a.name;
}

function canAdd(name: string, chosen: Set<string>, byName: Map<string, AttestorConfig>, cmd: CommandConfig): boolean {
  if (chosen.has(name)) return false;
  const only = byName.get(name)?.projects;
  if (only && !only.includes(cmd.project)) return false;
  if (cmd.json_products && byName.get(name)?.sole_json_product) return false;
  const group = byName.get(name)?.group;
  if (!group) return true;
  return ![...chosen].some((c) => byName.get(c)?.group === group);
}

/** The i-th command, or, when the i-th rule needs an attestor that fits only some projects (maven: Java), one of theirs. */
function fitCommand(cmds: CommandConfig[], i: number, rule: RegoConfig | undefined, attestors: AttestorConfig[]): CommandConfig {
  const cmd = cmds[i % cmds.length]!;
  const only = attestors.find((a) => a.name === rule?.attestor && a.projects)?.projects;
  if (!only || only.includes(cmd.project)) return cmd;
  const fits = cmds.filter((c) => only.includes(c.project));
  return fits.length ? fits[i % fits.length]! : cmd;
}

/**
 * Streams specs for a seed: deterministic, covering every dimension value round-robin, unique by
 * canonical hash, and with at most `paraphrases` questions per identical answer.
 */
export function* sampleSpecs(
  dims: Dimensions,
  seed: number,
  questionOf?: (spec: ExampleSpec) => string,
  shapers: Partial<Record<FamilyName, (spec: ExampleSpec, turn: number) => boolean>> = {},
): Generator<{ index: number; spec: ExampleSpec; id: string }> {
  const families = (dims.families ?? [{ name: "attest", weight: 1, questions: dims.questions.length }]).filter(
    (f) => f.weight > 0 && (f.name === "attest" || (shapers[f.name] && f.questions > 0)),
  );
  const made = new Map<FamilyName, number>();
  const totalWeight = families.reduce((n, f) => n + f.weight, 0);
  // The family furthest behind its share of what was yielded so far comes next: proportions hold at any count.
  const nextFamily = (): FamilyName =>
    families.reduce((best, f) => {
      const lag = (fam: typeof f): number => (fam.weight / totalWeight) * (index + 1) - (made.get(fam.name) ?? 0);
      return lag(f) > lag(best) ? f : best;
    }, families[0]!).name;
  const askedBy = new Map<string, string>();
  const rng = new Rng(`${seed}:specs`);
  const order = <T>(label: string, items: readonly T[]): T[] => new Rng(`${seed}:${label}`).shuffle(items);
  const cmds = order("commands", dims.commands);
  const steps = order("steps", dims.steps);
  const questions = order(
    "questions",
    dims.questions.map((_, i) => i),
  );
  const atts = order("attestors", dims.attestors);
  const rules = order("rules", dims.rego);
  const keys = order("keys", dims.keyTypes);
  const byName = new Map(dims.attestors.map((a) => [attestorId(a), a]));
  const seen = new Set<string>();
  const groups = new Map<string, number>();
  let index = 0;
  let misses = 0;
  let ruleTurn = 0;
  for (let i = 0; ; i++) {
    // The space of distinct specs is finite: stop once new ones have stopped coming.
    if (misses > 20_000) return;
    const family = families.length ? nextFamily() : "attest";
    const question = questions[i % questions.length]!;
    // An attest question's words bind its answer: "minimal" means one step and the fewest attestors, and Rego rules
    // come only with a question that names them. Other families fit the spec to their own question in `shape`.
    const scope = family === "attest" ? templateScope(dims.questions[question]!, dims.minimalWords) : { minimal: false, rules: true };
    const chosen = new Set<string>();
    const forcedRule = scope.rules && rules.length ? rules[ruleTurn++ % rules.length]! : undefined;
    const forcedAtt = atts[i % atts.length]!;
    const cmd = fitCommand(cmds, i, forcedRule, dims.attestors);
    // A step runs only a command `step_commands` allows it (a `lint` step never runs a compiler).
    const allowed = stepsFor(cmd.name, steps, dims.stepCommands);
    if (!allowed.length) {
      misses += 1;
      continue;
    }
    if (forcedRule && !["material", "product", "command-run"].includes(forcedRule.attestor)) {
      const fit = dims.attestors.find(
        (a) =>
          a.name === forcedRule.attestor && (!forcedRule.requires_setup || forcedRule.requires_setup === "lockfile" || a.setup === forcedRule.requires_setup),
      );
      if (fit && canAdd(attestorId(fit), chosen, byName, cmd)) chosen.add(attestorId(fit));
    }
    if (!(scope.minimal && chosen.size >= dims.min) && canAdd(attestorId(forcedAtt), chosen, byName, cmd)) chosen.add(attestorId(forcedAtt));
    // A second step is found through the commit both attestations record, so a chained example needs git.
    const git = dims.attestors.find((a) => a.name === "git");
    const wantChain = !scope.minimal && rng.next() < dims.chainShare && !cmd.run.startsWith("tar ") && git !== undefined;
    if (wantChain && canAdd(attestorId(git), chosen, byName, cmd)) chosen.add(attestorId(git));
    // A minimal answer has the fewest attestors; otherwise half the examples stay small, half reach for the maximum.
    const target = scope.minimal ? dims.min : rng.next() < 0.5 ? dims.min + rng.int(0, 1) : dims.max - rng.int(0, 1);
    for (const a of rng.shuffle(atts)) {
      if (chosen.size >= Math.max(dims.min, Math.min(dims.max, target))) break;
      if (canAdd(attestorId(a), chosen, byName, cmd)) chosen.add(attestorId(a));
    }
    const ruleSet = new Set<string>();
    if (scope.rules) {
      if (forcedRule && ruleApplies(forcedRule, chosen, cmd, dims)) ruleSet.add(forcedRule.name);
      // A question that names its rules has at least one; a minimal one no more than that.
      const want = scope.minimal ? 1 : Math.max(family === "attest" ? 1 : 0, rng.int(0, dims.maxRules));
      for (const r of rng.shuffle(rules)) {
        if (ruleSet.size >= Math.min(dims.maxRules, Math.max(want, ruleSet.size))) break;
        if (ruleApplies(r, chosen, cmd, dims)) ruleSet.add(r.name);
      }
      if (family === "attest" && ruleSet.size === 0) {
        misses += 1;
        continue;
      }
    }
    const spec: ExampleSpec = {
      step: allowed[Math.floor(i / cmds.length) % allowed.length]!,
      command: cmd.name,
      attestors: [...chosen].sort(),
      rules: [...ruleSet].sort(),
      keys: { step: keys[i % keys.length]!, policy: rng.pick(dims.keyTypes) },
      question,
      chain: null,
    };
    if (wantChain && [...chosen].some((c) => byName.get(c)?.name === "git")) {
      spec.chain = dims.chainSteps.find((s) => s !== spec.step) ?? null;
    }
    if (family !== "attest") {
      spec.family = family;
      if (!shapers[family]!(spec, made.get(family) ?? 0)) {
        misses += 1;
        continue;
      }
    }
    const group = answerGroup(spec);
    // One question text must not stand for two different answers: try the other templates, else skip.
    if (family === "attest" && questionOf && !pickQuestion(spec, group, questions, dims, questionOf, askedBy)) {
      misses += 1;
      continue;
    }
    // A family's question comes from its own render: the same rule holds, without other templates to try.
    const asked = family !== "attest" && questionOf ? questionOf(spec) : undefined;
    if (asked !== undefined && (askedBy.get(asked) ?? group) !== group) {
      misses += 1;
      continue;
    }
    const id = specId(spec);
    const used = groups.get(group) ?? 0;
    if (seen.has(id) || used >= dims.paraphrases) {
      misses += 1;
      continue;
    }
    misses = 0;
    seen.add(id);
    groups.set(group, used + 1);
    if (questionOf) askedBy.set(asked ?? questionOf(spec), group);
    made.set(family, (made.get(family) ?? 0) + 1);
    yield { index: index++, spec, id };
  }
}

function pickQuestion(
  spec: ExampleSpec,
  group: string,
  order: number[],
  dims: Dimensions,
  questionOf: (spec: ExampleSpec) => string,
  askedBy: Map<string, string>,
): boolean {
  const start = order.indexOf(spec.question);
  const scope = JSON.stringify(templateScope(dims.questions[spec.question]!, dims.minimalWords));
  for (let k = 0; k < order.length; k++) {
    const q = order[(start + k) % order.length]!;
    // Another template only if it binds the answer to the same scope (minimal or not, with rules or not).
    if (JSON.stringify(templateScope(dims.questions[q]!, dims.minimalWords)) !== scope) continue;
    const candidate = { ...spec, question: q };
    const owner = askedBy.get(questionOf(candidate));
    if (owner === undefined || owner === group) {
      spec.question = q;
      return true;
    }
  }
  return false;
}
