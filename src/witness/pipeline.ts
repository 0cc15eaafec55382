import type { WitnessConfig } from "../config/witness-schema.ts";
import { claim } from "./claims.ts";
import type { Family } from "./family.ts";
import {
  attestationEntries,
  attestorType,
  attestStepLines,
  fill,
  heredoc,
  KEYNAME,
  listWords,
  keyPairLines,
  policyStepLines,
  projectSection,
  publicKeyLines,
  regoSection,
  reportsSection,
  resolveExample,
  type Draft,
  gitSection,
  keyIdSection,
  policySection,
  stepRuns,
} from "./render.ts";
import { pipelineFails, pipelineGitWhy, pipelinePolicyWhy } from "./phrases.ts";
import type { Section } from "./sections.ts";
import { shellQuote } from "../proc/shell.ts";
import { attestorId, type ExampleSpec } from "./spec.ts";

/** What a pipeline step does; `build` is the spec's own command, attestors and Rego rules. */
export type Role = "lint" | "build" | "test" | "package" | "scan" | "publish";

/** The step shapes a pipeline example takes (`spec.variant`): roles in order, 3 to 5 steps. */
export const VARIANTS = [
  "build,test,package",
  "build,package,scan",
  "build,test,package,scan",
  "lint,build,test,package",
  "lint,build,test,package,scan",
  "build,test,package,scan,publish",
] as const;

/** Step names per role, first free one wins (the build step is named `spec.step`, which may take one). */
const NAMES: Record<Exclude<Role, "build">, string[]> = {
  lint: ["lint", "check", "static-check"],
  test: ["test", "check", "smoke-test"],
  package: ["package", "bundle", "dist"],
  scan: ["scan", "audit", "inspect"],
  publish: ["publish", "release", "deliver"],
};

/** What each role's own command runs beyond POSIX utilities (the build's is the configured command's). */
const ROLE_RUNS: Record<Role, string[]> = { lint: [], build: [], test: ["openssl"], package: ["tar", "gzip"], scan: ["tar", "gzip"], publish: [] };

/** The upstream roles whose products (and inputs) a role reads: its `artifactsFrom`, where present. */
const READS: Record<Role, Role[]> = {
  lint: [],
  build: ["lint"],
  test: ["build"],
  package: ["build", "test"],
  scan: ["package"],
  publish: ["package", "scan"],
};

export interface PipelineStep {
  role: Role;
  name: string;
  /** What the step writes under `repo/ws` that the next steps read; the last step's is the verify subject. */
  product: string;
  /** The command `witness run` wraps (for build: the spec's wrapped command). */
  command: string;
  /** Step names in `artifactsFrom`. */
  from: string[];
  /** One sentence on what the step does, for the answer. */
  explain: string;
}

/** The steps of a pipeline spec, in order: names, commands, products and links. Deterministic in the spec. */
export function pipelineSteps(spec: ExampleSpec, cfg: WitnessConfig): PipelineStep[] {
  const { cmd, project, wrapped } = resolveExample(spec, cfg);
  const roles = (spec.variant ?? VARIANTS[0]).split(",") as Role[];
  const used = new Set([spec.step]);
  const names = new Map<Role, string>();
  for (const role of roles) {
    if (role === "build") {
      names.set(role, spec.step);
      continue;
    }
    const name = NAMES[role].find((n) => !used.has(n))!;
    used.add(name);
    names.set(role, name);
  }
  const argv0 = wrapped.split(" ")[0]!;
  // The build's `-- <argv0> ` is what the command-program Rego mutation edits: no other step may start the same way.
  const own = (command: string): string => {
    if (command.split(" ")[0] !== argv0) return command;
    return command.startsWith("sh ") ? `/bin/sh${command.slice(2)}` : `sh -c ${shellQuote(command)}`;
  };
  const sources = Object.keys(project.files).join(" ");
  const pkg = `${project.name}-1.0.0.tar.gz`;
  const has = (r: Role): boolean => roles.includes(r);
  const steps: PipelineStep[] = [];
  for (const role of roles) {
    const name = names.get(role)!;
    const from = READS[role].filter(has).map((r) => names.get(r)!);
    switch (role) {
      case "lint":
        steps.push({
          role,
          name,
          from,
          product: "lint-report.txt",
          command: own(`sh -c '! grep -n -e "^<<<<<<< " -e "^>>>>>>> " ${sources} && wc -l ${sources} > lint-report.txt'`),
          explain: "refuses any source file with a leftover merge-conflict marker and writes each file's line count to `lint-report.txt`",
        });
        break;
      case "build":
        steps.push({ role, name, from, product: cmd.artifact, command: wrapped, explain: `runs \`${cmd.run}\`, which produces \`${cmd.artifact}\`` });
        break;
      case "test":
        steps.push({
          role,
          name,
          from,
          product: "test-results.txt",
          command: own(`sh -c 'test -s ${cmd.artifact} && openssl dgst -sha256 -r ${cmd.artifact} > test-results.txt'`),
          explain: `checks that \`${cmd.artifact}\` exists and is not empty, and records its SHA-256 in \`test-results.txt\``,
        });
        break;
      case "package": {
        const inputs = [cmd.artifact, ...(has("test") ? ["test-results.txt"] : [])];
        steps.push({
          role,
          name,
          from,
          product: pkg,
          command: own(`tar -czf ${pkg} ${inputs.join(" ")}`),
          explain: `packs ${inputs.map((f) => `\`${f}\``).join(" and ")} into \`${pkg}\``,
        });
        break;
      }
      case "scan":
        steps.push({
          role,
          name,
          from,
          product: "scan-report.txt",
          command: own(`sh -c 'tar -tzf ${pkg} > scan-report.txt && ! grep -E "[.](key|pem)$" scan-report.txt'`),
          explain: `lists what \`${pkg}\` contains in \`scan-report.txt\` and fails if a private key (\`.key\`, \`.pem\`) slipped into it`,
        });
        break;
      case "publish":
        steps.push({
          role,
          name,
          from,
          product: `release/${pkg}`,
          command: own(`sh -c 'mkdir -p release && cp ${pkg} scan-report.txt release/'`),
          explain: `copies \`${pkg}\` and its scan report into \`release/\`, the directory that gets uploaded`,
        });
        break;
    }
  }
  return steps;
}

/** `{steps}` in a question or answer: the step names in order, as code, joined by arrows. */
const arrow = (steps: PipelineStep[]): string => steps.map((s) => `\`${s.name}\``).join(" → ");

/** Whether the build step of a spec can record git: git is configured, not excluded, and fits the spec's attestors. */
function gitFits(spec: ExampleSpec, cfg: WitnessConfig): string | undefined {
  const git = cfg.attestors.find((a) => a.name === "git" && !cfg.excluded_attestors.includes(a.name));
  if (!git) return undefined;
  const id = attestorId(git);
  if (spec.attestors.includes(id)) return id;
  const cmd = cfg.commands.find((c) => c.name === spec.command);
  const chosen = spec.attestors.map((n) => cfg.attestors.find((a) => attestorId(a) === n));
  if (!cmd || spec.attestors.length >= cfg.max_attestors) return undefined;
  if (cmd.json_products && git.sole_json_product) return undefined;
  if (git.group && chosen.some((a) => a?.group === git.group)) return undefined;
  return id;
}

/**
 * `pipeline`: 3–5 steps (`VARIANTS`), the spec's command as the build step with its attestors and Rego rules,
 * each step signed by its own key and recording git (the shared commit is how verify finds every step from the
 * final product), linked by `artifactsFrom`, under one signed policy; the answer ends with `witness verify` on
 * the last step's product.
 */
export const pipeline: Family = {
  questions: (cfg) => cfg.families.pipeline?.questions ?? [],
  shape(spec, turn, cfg) {
    // The spec's command is the pipeline's build step, under its own name: a command that tests or packs is not one.
    if (cfg.commands.find((c) => c.name === spec.command)?.kind !== "build") return false;
    const git = gitFits(spec, cfg);
    if (!git) return false;
    if (!spec.attestors.includes(git)) spec.attestors = [...spec.attestors, git].sort();
    spec.chain = null;
    spec.variant = VARIANTS[turn % VARIANTS.length]!;
    spec.question = turn % this.questions(cfg).length;
    return true;
  },
  render(spec, cfg, catalog, attest): Draft {
    const resolved = resolveExample(spec, cfg);
    const { cmd, project, attestors, attestorNames, rules, setups } = resolved;
    const steps = pipelineSteps(spec, cfg);
    const build = steps.find((s) => s.role === "build")!;
    const last = steps.at(-1)!;
    const before = steps.slice(0, steps.indexOf(build));
    const sections: Section[] = [];

    sections.push({
      id: "intro",
      runs: [],
      text:
        `It runs a ${steps.length}-step pipeline, ${arrow(steps)}, ` +
        `attests each step with \`witness run\` under its own key, ties the steps together with \`artifactsFrom\` in one policy signed by a separate key, ` +
        `and ends with \`witness verify\` on \`${last.product}\`, the last step's product.`,
    });

    sections.push({
      id: "keys",
      runs: ["openssl"],
      writes: ["keys", "att", "reports"],
      text:
        `**Keys.** Every step has its own functionary: one ${KEYNAME[spec.keys.step]} key per step, so the key that packages cannot sign a build, and a separate ${KEYNAME[spec.keys.policy]} key for the policy, ` +
        "so no one who runs a step can rewrite the rules.",
      lines: ["mkdir -p keys att reports", ...steps.flatMap((s) => keyPairLines(s.name, spec.keys.step)), ...keyPairLines("policy", spec.keys.policy)],
    });

    sections.push(projectSection(resolved));
    const reports = reportsSection(resolved);
    // Staged or made before any step (`setups.ts`): the section says which, never that a step produced them.
    if (reports) sections.push(reports);

    const ignore = before.map((s) => `ws/${s.product}`);
    sections.push(
      gitSection(
        resolved,
        `**Git.** ${pipelineGitWhy(
          resolved.phrase,
          steps.map((s) => s.name),
        )} ` +
          "The project is committed first, with the repository's own identity" +
          (ignore.length
            ? `; \`.gitignore\` keeps what ${before.map((s) => `\`${s.name}\``).join(" and ")} writes before the build out of \`git status\`, so the build still runs on a clean tree.`
            : "."),
        ignore.length ? heredoc("repo/.gitignore", `${ignore.join("\n")}\n`) : [],
      ),
    );

    steps.forEach((s, i) => {
      const head = `**Step ${i + 1}: \`${s.name}\`.**`;
      const links = s.from.length ? ` It reads what ${s.from.map((f) => `\`${f}\``).join(" and ")} left in \`repo/ws\`.` : "";
      if (s.role === "build") {
        const { pre, run } = attestStepLines(s.name, cfg, resolved);
        const explained = attestors.map((a) => `\`${a.name}\` ${a.explain}`).join("; ");
        sections.push({
          id: "step",
          runs: stepRuns(resolved, pre),
          reads: ["keys", "repo/ws"],
          writes: [`att/${s.name}.json`],
          text:
            `${head} The build ${s.explain}.${links} Its \`-a\` list is the spec's: ${explained}.` +
            (pre.length ? " The exported variables are what the run records (CI values are mocked here)." : ""),
          lines: [...pre, run],
        });
        return;
      }
      sections.push({
        id: "chain",
        runs: ["witness", ...ROLE_RUNS[s.role]],
        reads: ["keys", "repo/ws"],
        writes: [`att/${s.name}.json`],
        text: `${head} \`${s.name}\` ${s.explain}.${links} \`-a git\` records the commit it ran on.`,
        lines: [`(cd repo/ws && witness run -s ${s.name} -k ../../keys/${s.name}.key -o ../../att/${s.name}.json -a git -- ${s.command})`],
      });
    });

    sections.push(
      keyIdSection(
        steps.map((s) => s.name),
        resolved.phrase,
      ),
    );
    const rego = regoSection(resolved);
    if (rego) sections.push(rego);

    const typeOf = (name: string): string => attestorType(name, catalog, setups);
    const policySteps = steps.flatMap((s, i) => {
      const entries =
        s.role === "build"
          ? attestationEntries(["material", "command-run", "product", ...attestorNames], typeOf, rules)
          : attestationEntries(["material", "command-run", "product", "git"], typeOf);
      return policyStepLines(s.name, entries, s.from, i === steps.length - 1);
    });
    const linked = steps.filter((s) => s.from.length);
    sections.push({
      id: "policy",
      ...policySection(cfg, publicKeyLines(steps.map((s) => s.name)), policySteps),
      text:
        `**The policy.** ${pipelinePolicyWhy(
          resolved.phrase,
          steps.map((s) => s.name),
        )} Every step must carry material, command-run, product and git attestations` +
        `${attestorNames.length > 1 ? `, the \`${build.name}\` step also those of the attestors it ran` : ""}${rules.length ? `; the Rego rules apply to \`${build.name}\`` : ""}. ` +
        `\`artifactsFrom\` makes each step's materials match what the named steps left behind: ${linked.map((s) => `\`${s.name}\` ← ${s.from.map((f) => `\`${f}\``).join(", ")}`).join("; ")}. ` +
        `The policy expires on ${cfg.policy_expires.slice(0, 10)}. ${claim("policy-check")}`,
    });

    sections.push({
      id: "verify",
      runs: ["witness"],
      reads: ["policy.signed.json", "keys/policy.pub", "att"],
      text:
        `**Verify.** \`witness verify\` finds the \`${last.name}\` attestation by \`${last.product}\`, follows the shared commit to the other ${steps.length - 1}, ` +
        `and checks every step: its signer, its attestation types, ${rules.length ? `the Rego ${rules.length > 1 ? "rules" : "rule"} of \`${build.name}\`, ` : ""}and each \`artifactsFrom\` link. ` +
        `${pipelineFails(
          resolved.phrase,
          steps.map((s) => s.name),
        )} Here it passes. ${claim("verify-success")}`,
      lines: [`witness verify -p policy.signed.json -k keys/policy.pub ${steps.map((s) => `-a att/${s.name}.json`).join(" ")} -f repo/ws/${last.product}`],
    });

    const templates = this.questions(cfg);
    const template = templates[spec.question % templates.length]!;
    const question = fill(template.replace(/\{(\w+)\}/g, "{{$1}}"), {
      steps: arrow(steps),
      count: String(steps.length),
      command: cmd.run,
      artifact: cmd.artifact,
      final: last.product,
      project_kind: project.kind,
      build: build.name,
      attestors: listWords(attestors.map((a) => `\`${a.name}\``)),
      key_type: KEYNAME[spec.keys.step],
      rego: rules.length
        ? ` The build must also pass the Rego ${rules.length > 1 ? "checks" : "check"} ${listWords(rules.map((r) => `"${fill(r.message, resolved.vars)}"`))}.`
        : "",
    });
    return {
      ...attest,
      question,
      sections,
      checks: {
        variant: spec.variant,
        steps: steps.map((s) => s.name),
        roles: steps.map((s) => s.role),
        links: Object.fromEntries(linked.map((s) => [s.name, s.from])),
        subject: last.product,
      },
    };
  },
};
