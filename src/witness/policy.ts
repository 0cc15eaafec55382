import type { AttestorConfig, WitnessConfig } from "../config/witness-schema.ts";
import type { Family } from "./family.ts";
import { type Draft, fill, resolveExample } from "./render.ts";
import { copyWhy, refusalWhy } from "./phrases.ts";
import { ATTESTOR_RUNS, insertSection, programsOf, replaceSection, type Section } from "./sections.ts";
import { shellQuote } from "../proc/shell.ts";
import { bareAttestor } from "./scope.ts";
import type { ExampleSpec } from "./spec.ts";

/** Where the non-compliant copy of the project lives: `bad/repo/ws` reads `../../reports` as `bad/reports`. */
const BAD = "bad/repo/ws";

/** What a requirement's shell lines need to know about the example. */
export interface BreakContext {
  step: string;
  /** The step's command as `witness run` gets it (maybe `sh -c '…'`). */
  wrapped: string;
  artifact: string;
  lockfile: string;
  git: boolean;
}

/** How the non-compliant run differs from the compliant one. */
export interface Violation {
  /** Lines run on the copy before its `witness run`. */
  before: string[];
  /** A prefix for `witness run` (a one-off variable assignment). */
  envPrefix: string;
  /** The command the non-compliant run attests. */
  command: string;
  /** The subject `witness verify -f` is given, relative to the copy's `ws`. */
  subject: string;
  /** One sentence on what the copy does wrong. */
  explain: string;
}

/** A user's requirement: the Rego rule that enforces it, and how a run breaks it. */
export interface Requirement {
  name: string;
  /** `[[witness.rego]]` rule name. */
  rule: string;
  /** The requirement as a clause ("the step runs on the `main` branch"); {{vars}} of the example are filled. */
  words: string;
  /** The attestor entry (`id` or name) the rule reads; null for the always-run material/product/command-run. */
  attestor: string | null;
  applies: (c: BreakContext) => boolean;
  violate: (c: BreakContext) => Violation;
  /** Other rules the violation also breaks; a spec of this requirement drops them. */
  conflicts?: (c: BreakContext) => string[];
}

const inner = (wrapped: string): string => (wrapped.startsWith("sh -c '") ? wrapped.slice("sh -c '".length, -1) : wrapped);
const same = (c: BreakContext): Pick<Violation, "envPrefix" | "command" | "subject"> => ({ envPrefix: "", command: c.wrapped, subject: c.artifact });

export const REQUIREMENTS: Requirement[] = [
  {
    name: "branch",
    rule: "git-branch-main",
    words: "the step runs on the `main` branch",
    attestor: "git",
    applies: () => true,
    violate: (c) => ({
      ...same(c),
      before: ["git -C bad/repo checkout -q -b topic"],
      explain: "the copy switches to a branch named `topic` (same commit, same files), so the git attestor records `branch: topic`",
    }),
  },
  {
    name: "clean-tree",
    rule: "git-clean-tree",
    words: "the git working tree is clean when the step runs (nothing uncommitted or untracked)",
    attestor: "git",
    applies: () => true,
    violate: (c) => ({
      ...same(c),
      before: [`echo draft > ${BAD}/TODO.txt`],
      explain: "the copy has an untracked `TODO.txt`, so the git attestor records a non-empty `status`",
    }),
  },
  {
    name: "env-var",
    rule: "env-release-profile",
    words: "the step runs with `BUILD_PROFILE=release` in its environment",
    attestor: "environment",
    applies: () => true,
    violate: (c) => ({
      ...same(c),
      before: [],
      envPrefix: "BUILD_PROFILE=debug ",
      explain: "the copy is built with `BUILD_PROFILE=debug`, which the environment attestor records",
    }),
  },
  {
    name: "allowed-command",
    rule: "command-program",
    words: "the recorded command starts with `{{argv0}}` (no wrapper such as `env` in front of it)",
    attestor: null,
    applies: () => true,
    violate: (c) => ({
      before: [],
      envPrefix: "",
      command: `env ${c.wrapped}`,
      subject: c.artifact,
      explain: "the copy runs the same build through `env`, so the recorded command starts with `env`",
    }),
  },
  {
    name: "product-present",
    rule: "product-artifact",
    words: "the step really produces `{{artifact}}`",
    attestor: null,
    applies: (c) => !c.artifact.includes("'"),
    violate: (c) => ({
      before: [],
      envPrefix: "",
      command: `sh -c '${inner(c.wrapped)} && mv ${c.artifact} ${c.artifact}.old'`,
      subject: `${c.artifact}.old`,
      explain: `the copy's command leaves its output as \`${c.artifact}.old\`, so \`${c.artifact}\` is not among its products`,
    }),
    // Wrapping the command in `sh -c` changes argv[0] unless it already was `sh`.
    conflicts: (c) => (c.wrapped.startsWith("sh -c '") ? [] : ["command-program"]),
  },
  {
    name: "lockfile",
    rule: "lockfile-recorded",
    words: "the lockfile `{{lockfile}}` is recorded with the build",
    attestor: "lockfiles",
    applies: (c) => c.lockfile !== "",
    violate: (c) => ({
      ...same(c),
      // With git the removal is folded into the same commit (same message), so the tree stays clean.
      before: c.git ? [`git -C bad/repo rm -q ws/${c.lockfile}`, "git -C bad/repo commit -q --amend --no-edit"] : [`rm ${BAD}/${c.lockfile}`],
      explain: `the copy has no \`${c.lockfile}\`, so the lockfiles attestor records none`,
    }),
  },
  {
    name: "sbom-license",
    rule: "sbom-license",
    words: "every package in the SPDX SBOM is MIT or Apache-2.0 licensed",
    attestor: "sbom",
    applies: () => true,
    violate: (c) => ({
      ...same(c),
      before: [
        'sed \'s/: "MIT"/: "GPL-3.0-only"/\' bad/reports/sbom.spdx.json > bad/reports/sbom.edited',
        "mv bad/reports/sbom.edited bad/reports/sbom.spdx.json",
      ],
      explain: "the copy's SBOM declares its package `GPL-3.0-only`",
    }),
  },
];

export function requirementOf(name: string): Requirement {
  const r = REQUIREMENTS.find((x) => x.name === name);
  if (!r) throw new Error(`unknown policy requirement ${name}`);
  return r;
}

/** The attestor entry a requirement's rule needs (honouring the rule's `requires_setup`). */
function attestorFor(req: Requirement, cfg: WitnessConfig): AttestorConfig | undefined {
  if (req.attestor === null) return undefined;
  const rule = cfg.rego.find((r) => r.name === req.rule);
  const setup = rule?.requires_setup && rule.requires_setup !== "lockfile" ? rule.requires_setup : undefined;
  return cfg.attestors.find((a) => a.name === req.attestor && !cfg.excluded_attestors.includes(a.name) && (!setup || a.setup === setup));
}

/** Whether attestor `a` can join `chosen` (the sampler's rules: one per group, no second JSON reader of JSON products). */
function canJoin(a: AttestorConfig, chosen: string[], cfg: WitnessConfig, jsonProducts: boolean): boolean {
  const byId = new Map(cfg.attestors.map((x) => [x.id ?? x.name, x]));
  if (jsonProducts && a.sole_json_product) return false;
  return !a.group || !chosen.some((c) => byId.get(c)?.group === a.group);
}

function breakContext(spec: ExampleSpec, cfg: WitnessConfig): BreakContext {
  const { cmd, wrapped, vars, setups } = resolveExample(spec, cfg);
  return { step: spec.step, wrapped, artifact: cmd.artifact, lockfile: vars.lockfile ?? "", git: setups.has("git") };
}

/**
 * Fits a spec to a requirement, and to nothing else: the attestor its rule reads (or, for what witness always
 * records, the one attestor `-a` needs), its rule alone, one step. False when the requirement cannot apply.
 */
export function fitRequirement(spec: ExampleSpec, req: Requirement, cfg: WitnessConfig): boolean {
  const rule = cfg.rego.find((r) => r.name === req.rule);
  if (!rule || rule.message.includes("'")) return false;
  const cmd = cfg.commands.find((c) => c.name === spec.command);
  if (!cmd) return false;
  const need = req.attestor === null ? undefined : attestorFor(req, cfg);
  if (req.attestor !== null && (!need || !canJoin(need, [], cfg, cmd.json_products))) return false;
  const id = need ? (need.id ?? need.name) : bareAttestor(spec.attestors, cfg);
  if (!id) return false;
  const trial: ExampleSpec = { ...spec, attestors: [id], chain: null };
  const c = breakContext(trial, cfg);
  if (!req.applies(c)) return false;
  if (req.conflicts?.(c).includes(req.rule)) return false;
  Object.assign(spec, { attestors: trial.attestors, rules: [req.rule], chain: null, variant: req.name });
  return true;
}

/** The violation of a policy spec, with what the compliant run does instead (its command and subject). */
export function violationOf(spec: ExampleSpec, cfg: WitnessConfig): { violation: Violation; compliant: BreakContext } {
  const c = breakContext(spec, cfg);
  return { violation: requirementOf(spec.variant ?? "").violate(c), compliant: c };
}

/**
 * `policy`: the user states a requirement; the answer writes it as a Rego rule in the policy and proves it both
 * ways in one script: a copy of the project made to break only that requirement is attested, `witness verify`
 * refuses it with the rule's message (checked with grep), and the script ends with the compliant verify.
 */
export const policy: Family = {
  questions: (cfg) => cfg.families.policy?.questions ?? [],
  shape(spec, turn, cfg) {
    const n = REQUIREMENTS.length;
    for (let k = 0; k < n; k++) {
      if (fitRequirement(spec, REQUIREMENTS[(turn + k) % n]!, cfg)) {
        spec.question = turn % Math.max(1, this.questions(cfg).length);
        return true;
      }
    }
    return false;
  },
  render(spec, cfg, _catalog, attest): Draft {
    const req = requirementOf(spec.variant ?? "");
    const { cmd, attestors, attestorNames, project, rules, staged, vars, phrase } = resolveExample(spec, cfg);
    const rule = rules.find((r) => r.name === req.rule)!;
    const message = fill(rule.message, vars);
    const words = fill(req.words, vars);
    const v = violationOf(spec, cfg).violation;
    const step = spec.step;
    const flags = attestors.flatMap((a) => a.flags);
    const badAtt = `att/${step}-noncompliant.json`;

    const copy: Section = {
      id: "copy",
      text: `**A copy to break later.** ${copyWhy(phrase, staged.length > 0)}`,
      lines: ["mkdir -p bad", "cp -R repo reports bad/"],
      runs: [],
      reads: ["repo", "reports"],
      writes: ["bad"],
    };
    const runBad = `(cd ${BAD} && ${v.envPrefix}witness run -s ${step} -k ../../../keys/${step}.key -o ../../../${badAtt} -a ${attestorNames.join(",")}${flags.length ? ` ${flags.join(" ")}` : ""} -- \\\n  ${v.command})`;
    const bad: Section = {
      id: "noncompliant",
      text: `**A non-compliant run.** The same step, signed with the same key, on the copy: ${v.explain}. Its attestation goes to \`${badAtt}\`.`,
      lines: [...v.before, runBad],
      // The copy's command is the compliant one (wrapped in `env` or `sh -c … && mv`, both POSIX): the same programs.
      runs: [
        ...new Set([
          ...(v.before.length ? programsOf(v.before.join("\n")) : []),
          "witness",
          ...attestorNames.flatMap((a) => ATTESTOR_RUNS[a] ?? []),
          ...programsOf(cmd.run, project.files),
        ]),
      ],
      reads: ["keys", "bad"],
      writes: [badAtt],
    };
    const refuse: Section = {
      id: "refusal",
      text:
        `**The non-compliant run is refused.** ${refusalWhy(phrase)} ` +
        `witness logs \`Verification failed\` and, for the step, \`collection rejected: ${step}, Reason: collection validation failed: … policy was denied due to: ${message}\` ` +
        `(once per search depth); \`grep\` checks that this is the reason, so a refusal for anything else stops the script (\`sh -e\` does not stop at a \`!\` command, but it does at a failing \`grep\`).`,
      lines: [
        `! witness verify -p policy.signed.json -k keys/policy.pub -a ${badAtt} -f ${BAD}/${v.subject} 2> refused.log`,
        `grep -F ${shellQuote(message)} refused.log`,
      ],
      runs: ["witness"],
      reads: ["policy.signed.json", badAtt],
      writes: ["refused.log"],
    };
    const intro =
      `The requirement, that ${words}, becomes the Rego rule \`${rule.name}\` ` +
      `on the \`${rule.attestor}\` attestation of the \`${step}\` step (\`${cmd.run}\`). The script shows it both ways: a run that breaks it is refused with the rule's message, ` +
      `and the compliant run's \`${cmd.artifact}\` verifies.`;
    let sections = replaceSection(attest.sections, "intro", (s) => ({ ...s, text: intro }));
    sections = insertSection(sections, "before", "step", copy);
    sections = insertSection(sections, "after", "step", bad);
    sections = insertSection(sections, "before", "verify", refuse);
    sections = replaceSection(sections, "verify", (s) => ({ ...s, text: s.text.replace("**Verify.**", "**The compliant run verifies.**") }));

    const templates = this.questions(cfg);
    const template = templates[spec.question % templates.length]!;
    const question = fill(template.replace(/\{(step|artifact)\}/g, "{{$1}}"), vars)
      .replaceAll("{command}", () => cmd.run)
      .replaceAll("{requirement}", () => words);
    // The script's own non-compliant run is refused with this rule's message: that is the rule's proof, not a mutant.
    const mutations = attest.mutations.map((m) =>
      m.rule === rule.name ? { ...m, explain: `the script's own non-compliant run: ${v.explain}`, shownIn: "refused.log" } : m,
    );
    return {
      ...attest,
      question,
      mutations,
      sections,
      checks: { variant: req.name, rule: rule.name, requirement: words, refused_with: message, noncompliant: v.explain },
    };
  },
};
