import type { WitnessConfig, RegoConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import { claim } from "./claims.ts";
import { canonical } from "../dataset/hash.ts";
import { ciWhy, gitWhy, keyIdWhy, outsideDir, type PhraseVars, policyWhy, separateKey, stepWhy, verifyWhy } from "./phrases.ts";
import { pomXml, stagedFiles } from "./setups.ts";
import { usedProject } from "./project-files.ts";
import type { ExampleSpec, KeyType } from "./spec.ts";
import { shellQuote } from "../proc/shell.ts";
import { ATTESTOR_RUNS, programsOf, renderSections, type Section, sectionSpans, type SectionSpan } from "./sections.ts";

export { sh } from "./sections.ts";

/** A script edit that must make `witness verify` deny with `message`. */
export interface Mutation {
  rule: string;
  find: string;
  replace: string;
  explain: string;
  message: string;
  /**
   * The kept script itself shows this rule denying (policy family): a refused `witness verify` of its own saves its log in
   * this file of the working directory and the script's `grep -F` of the message follows. The runner reads that file
   * after the kept run instead of running a mutant (a mutant is run when it cannot).
   */
  shownIn?: string;
}

export interface RenderedExample {
  system: string;
  question: string;
  answer: string;
  mutations: Mutation[];
  /** troubleshoot: the user's broken script, which must fail the way `expect` names (`classify`). */
  broken?: { cause: string; expect: string; script: string };
  /** What the answer's script asserts beyond the final verify (recorded in meta as `checks`); a family's own. */
  checks?: Record<string, unknown>;
  /** Not recorded: the script lines each section occupies (`prove.ts` takes its checkpoints from them). */
  layout?: SectionSpan[];
}

/** The example as the journal records it: without what only proving it needs. */
export function recorded({ layout: _layout, ...rest }: RenderedExample): RenderedExample {
  return rest;
}

/** An example before its answer is rendered: the answer's typed sections, which families add to, drop and replace by id. */
export type Draft = Omit<RenderedExample, "answer"> & { sections: Section[] };

/** The one place an answer becomes Markdown: the draft's sections rendered, the sections themselves dropped. */
export function finish({ sections, ...rest }: Draft): RenderedExample {
  return { ...rest, answer: renderSections(sections), layout: sectionSpans(sections) };
}

/** Where a troubleshoot question quotes the error, until the broken script's real run supplies it. */
export const ERROR_MARK = "\u0000error\u0000";

export const KEYGEN: Record<KeyType, string> = {
  ed25519: "-algorithm ed25519",
  "ecdsa-p256": "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
  "ecdsa-p384": "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
  "rsa-3072": "-algorithm RSA -pkeyopt rsa_keygen_bits:3072",
};
export const KEYNAME: Record<KeyType, string> = { ed25519: "Ed25519", "ecdsa-p256": "ECDSA P-256", "ecdsa-p384": "ECDSA P-384", "rsa-3072": "RSA-3072" };

export const shellVar = (name: string): string => name.replace(/[^A-Za-z0-9]/g, "_");
const needsShell = (cmd: string): boolean => /[<>|&;$*()`'"\\]/.test(cmd);

export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
}

export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** A here-document delimiter that is no line of `body`: EOF, else EOF_1, EOF_2, ... */
export function heredocDelimiter(body: string): string {
  const lines = new Set(body.split("\n"));
  let word = "EOF";
  for (let i = 1; lines.has(word); i++) word = `EOF_${i}`;
  return word;
}

/**
 * The lines that write `content` to `path`, byte for byte: configured text is data, never code. The delimiter is
 * quoted (nothing in the body expands) and is no line of the body (no line ends it early). Content without a final
 * newline is read back and rewritten with `printf '%s'`: `$(…)` drops exactly the newline the here-document added
 * (a here-document inside `$(…)` would be shorter, but bash 3.2, macOS's sh, misparses quotes and parentheses there).
 */
export function heredoc(path: string, content: string): string[] {
  if (content === "") return [`: > ${path}`];
  const body = content.endsWith("\n") ? content.slice(0, -1) : content;
  const word = heredocDelimiter(body);
  const lines = [`cat > ${path} <<'${word}'`, ...body.split("\n"), word];
  return content.endsWith("\n") ? lines : [...lines, `content=$(cat ${path})`, `printf '%s' "$content" > ${path}`];
}

/** The variables the script computes for a policy (`keyIdLines`, `regoBlock`): the only names its here-document expands. */
const COMPUTED = /^(?:\w+_keyid|\w+_key|rego_\w+)$/;

/**
 * An unquoted here-document, for the policy only: its body expands the variables the script computed (key IDs, keys,
 * Rego modules). Everything else in it is a schema-checked name, the expiry or a witness type URI; a body with any
 * other expansion (`$(`, a backtick, `${`, a backslash, `$` before another name) is refused, never written.
 */
export function expandingHeredoc(path: string, content: string): string[] {
  const stray = /[`\\]|\$(?![A-Za-z_])/.exec(content) ?? [...content.matchAll(/\$(\w+)/g)].find((m) => !COMPUTED.test(m[1]!));
  if (stray) throw new Error(`${path}: only the script's computed variables may expand in its here-document, not ${JSON.stringify(stray[0])}`);
  const body = content.endsWith("\n") ? content.slice(0, -1) : content;
  const word = heredocDelimiter(body);
  return [`cat > ${path} <<${word}`, ...body.split("\n"), word];
}

/** Everything an example's text is made of, looked up once from its spec. */
export function resolveExample(spec: ExampleSpec, cfg: WitnessConfig) {
  const cmd = cfg.commands.find((c) => c.name === spec.command)!;
  const whole = cfg.projects.find((p) => p.name === cmd.project)!;
  const attestors = spec.attestors.map((n) => cfg.attestors.find((a) => (a.id ?? a.name) === n)!);
  const attestorNames = [...new Set(attestors.map((a) => a.name))];
  const rules = spec.rules.map((n) => cfg.rego.find((r) => r.name === n)!);
  const setups = new Set(attestors.map((a) => a.setup));
  // The example writes only the files its command and attestors read; a staged SBOM still describes the whole project.
  const project = usedProject(whole, cmd, setups);
  const staged = [...setups].flatMap((s) => stagedFiles(s, whole));
  const emit = staged.map((f) => `cp ../../reports/${f.name} ${f.product}`);
  const cmdline = [cmd.run, ...emit].join(" && ");
  // The configured command is code by design (it is what the example teaches); quoting keeps it one argument of sh -c.
  const wrapped = needsShell(cmdline) ? `sh -c ${shellQuote(cmdline)}` : cmdline;
  const argv0 = wrapped.split(" ")[0]!;
  const source = Object.keys(project.files).find((f) => f !== project.lockfile) ?? Object.keys(project.files)[0]!;
  const vars: Record<string, string> = { artifact: cmd.artifact, argv0, project: project.name, lockfile: project.lockfile ?? "", source, step: spec.step };
  // The recurring explanations' phrasing is chosen by the spec (one example always reads the same), less its step name:
  // a renamed step is the same answer in other names (`stats`' skeletons), not another phrasing.
  const phrase: PhraseVars = {
    seed: canonical({ ...spec, step: "" }),
    step: spec.step,
    dir: "repo/ws",
    project: project.name,
    stepKey: KEYNAME[spec.keys.step],
    policyKey: KEYNAME[spec.keys.policy],
  };
  return { cmd, project, attestors, attestorNames, rules, setups, staged, wrapped, vars, phrase };
}

/** The user question of a spec: its template with the spec's values filled in. */
export function renderQuestion(spec: ExampleSpec, cfg: WitnessConfig): string {
  const { cmd, project, attestors, rules, vars } = resolveExample(spec, cfg);
  return fill(cfg.questions[spec.question]!.replace(/\{(\w+)\}/g, "{{$1}}"), {
    ...vars,
    command: cmd.run,
    project_kind: project.kind,
    attestors: listWords(attestors.map((a) => `\`${a.name}\``)),
    rules: rules.length ? listWords(rules.map((r) => `"${fill(r.message, vars)}"`)) : "of your own",
    key_type: KEYNAME[spec.keys.step],
  });
}

/** The two lines that make one signer's key pair under keys/. */
export function keyPairLines(name: string, type: KeyType): string[] {
  return [`openssl genpkey ${KEYGEN[type]} -out keys/${name}.key`, `openssl pkey -in keys/${name}.key -pubout -out keys/${name}.pub`];
}

/** The two lines that compute a key's witness ID and its base64 PEM into `<var>_keyid` / `<var>_key`. */
export function keyIdLines(name: string): string[] {
  const v = shellVar(name);
  return [`${v}_keyid=$(openssl dgst -sha256 -r keys/${name}.pub | cut -d' ' -f1)`, `${v}_key=$(openssl base64 -A -in keys/${name}.pub)`];
}

type Resolved = ReturnType<typeof resolveExample>;

/** The project's files written into `repo/ws` (plus a pom.xml for maven). */
export function projectSection({ project, setups, phrase }: Resolved): Section {
  const dirs = [
    ...new Set(
      Object.keys(project.files)
        .filter((f) => f.includes("/"))
        .map((f) => `repo/ws/${f.slice(0, f.lastIndexOf("/"))}`),
    ),
  ];
  // `mkdir -p` makes repo/ws on the way to its subdirectories: one line either way.
  const files: string[] = [`mkdir -p ${dirs.length ? dirs.join(" ") : "repo/ws"}`];
  for (const [path, content] of Object.entries(project.files)) files.push(...heredoc(`repo/ws/${path}`, content));
  if (setups.has("maven") && !Object.hasOwn(project.files, "pom.xml")) files.push(...heredoc("repo/ws/pom.xml", pomXml(project.name)));
  return {
    id: "project",
    text: `**The project.** A small ${project.kind} in \`repo/ws\`${setups.has("maven") ? ", with a `pom.xml` for the maven attestor" : ""}. ${outsideDir(phrase)}`,
    lines: files,
    runs: [],
    writes: ["repo/ws"],
  };
}

/**
 * The files an attestor reads, written under reports/ and copied in by the step; undefined when none. Each is introduced
 * as what it is (`setups.ts` `intro`): made by a real tool here, or staged by hand, never as the step's own output.
 */
export function reportsSection({ staged }: Resolved): Section | undefined {
  if (!staged.length) return undefined;
  const lines: string[] = [];
  for (const f of staged) {
    if (f.compute) lines.push(...f.compute);
    if (f.content !== undefined) lines.push(...heredoc(`reports/${f.name}`, f.content));
  }
  const many = staged.length > 1;
  const title = staged.every((f) => f.origin === "staged") ? `Staged input${many ? "s" : ""}` : `Input${many ? "s" : ""} for the attestors`;
  return {
    id: "reports",
    text:
      `**${title}.** ${staged.map((f) => `\`${f.product}\` is ${f.intro}.`).join(" ")} ` +
      `The step's command copies ${many ? "them" : "it"} into \`repo/ws\`. ${claim("staged-product")}`,
    lines,
    // The staging lines come from the setups: what they run is read from them (a fixed text is written by
    // `heredoc`, with `cat` and `printf` only, so only the computing lines are read).
    runs: programsOf(staged.flatMap((f) => f.compute ?? []).join("\n")),
    writes: staged.map((f) => `reports/${f.name}`),
  };
}

/** The lines that make `repo` a git repository with one release commit of the project. */
export function gitLines({ project }: Resolved): string[] {
  return [
    "(",
    "  cd repo",
    "  git init -q -b main",
    '  git config user.name "Release Bot"',
    '  git config user.email "release@example.com"',
    "  git add -A",
    `  git commit -q -m "release: ${project.name} 1.0.0"`,
    ")",
  ];
}

/** The git section: the project committed once, so the git attestor has a commit to record. */
export function gitSection(resolved: Resolved, text?: string, before: string[] = []): Section {
  return {
    id: "git",
    text: text ?? `**Git.** ${gitWhy(resolved.phrase)}`,
    lines: [...before, ...gitLines(resolved)],
    runs: ["git"],
    reads: ["repo"],
    writes: ["repo/.git"],
  };
}

/** The key IDs and base64 PEMs of the step keys, computed into variables the policy expands. */
export function keyIdSection(steps: string[], phrase: PhraseVars): Section {
  return {
    id: "keyids",
    text: `**Key ID${steps.length > 1 ? "s" : ""}.** ${claim("keyid-sha256-pem")} ${keyIdWhy(phrase, steps)}`,
    lines: steps.flatMap((s) => keyIdLines(s)),
    runs: ["openssl"],
    reads: steps.map((s) => `keys/${s}.pub`),
  };
}

/** The spec's own step: its exports (CI mocks, Rego preludes) and its `witness run` line. */
export function attestStepLines(
  step: string,
  cfg: WitnessConfig,
  { attestors, attestorNames, rules, wrapped, vars }: Resolved,
): { pre: string[]; run: string } {
  const pre: string[] = [];
  for (const a of attestors) {
    if (a.ci) for (const [k, v] of Object.entries(cfg.ci_mocks[a.ci] ?? {})) pre.push(`export ${k}=${shellQuote(v)}`);
  }
  // Preludes are script lines by design (configured code, like the command), not data.
  for (const r of rules) pre.push(...r.prelude.map((l) => fill(l, vars)));
  const flags = attestors.flatMap((a) => a.flags);
  const run = `(cd repo/ws && witness run -s ${step} -k ../../keys/${step}.key -o ../../att/${step}.json -a ${attestorNames.join(",")}${flags.length ? ` ${flags.join(" ")}` : ""} -- ${wrapped})`;
  return { pre, run };
}

/** The Rego modules written under rego/, each read into a `rego_<name>` variable; undefined when none. */
export function regoSection({ rules, vars }: Resolved): Section | undefined {
  if (!rules.length) return undefined;
  const lines = ["mkdir -p rego"];
  for (const r of rules) {
    lines.push(...heredoc(`rego/${r.name}.rego`, fill(r.module, vars)));
    lines.push(`${regoVar(r.name)}=$(openssl base64 -A -in rego/${r.name}.rego)`);
  }
  const what = rules.map((r) => `${fill(r.message, vars)} (\`${r.attestor}\`)`).join("; ");
  return {
    id: "rego",
    text: `**Rego rules.** Each module denies with a message when its check fails: ${what}. ${claim("rego-v1")}`,
    lines,
    runs: ["openssl"],
    writes: ["rego"],
  };
}

const regoVar = (rule: string): string => `rego_${shellVar(rule)}`;

/** An attestor's type URI as witness names it (sbom: the document format among the step's products). */
export function attestorType(name: string, catalog: Catalog, setups: Set<string | undefined>): string {
  if (name !== "sbom") return catalog.types[name]!.type;
  return setups.has("sbom-cyclonedx") ? catalog.sbomTypes.cyclonedx : catalog.sbomTypes.spdx;
}

/** A policy step's `attestations` entries (indented for the policy heredoc): each type, with its Rego modules. */
export function attestationEntries(names: string[], typeOf: (name: string) => string, rules: RegoConfig[] = []): string[] {
  return names.map((name, i) => {
    const own = rules.filter((r) => r.attestor === name);
    const comma = i < names.length - 1 ? "," : "";
    if (!own.length) return `        { "type": "${typeOf(name)}" }${comma}`;
    const pols = own.map((r) => `{ "name": "${r.name}", "module": "$${regoVar(r.name)}" }`).join(", ");
    return `        { "type": "${typeOf(name)}", "regopolicies": [ ${pols} ] }${comma}`;
  });
}

/** One step of the policy heredoc: its functionary key, attestation entries and `artifactsFrom`; `last` drops the comma. */
export function policyStepLines(step: string, entries: string[], artifactsFrom: string[], last: boolean): string[] {
  return [
    `    "${step}": {`,
    `      "name": "${step}",`,
    `      "functionaries": [ { "type": "publickey", "publickeyid": "$${shellVar(step)}_keyid" } ],`,
    '      "attestations": [',
    ...entries,
    artifactsFrom.length ? "      ]," : "      ]",
    ...(artifactsFrom.length ? [`      "artifactsFrom": [ ${artifactsFrom.map((s) => `"${s}"`).join(", ")} ]`] : []),
    last ? "    }" : "    },",
  ];
}

/** The policy's `publickeys` lines, one per signer. */
export function publicKeyLines(steps: string[]): string[] {
  return steps.map((s, i) => {
    const v = shellVar(s);
    return `    "$${v}_keyid": { "keyid": "$${v}_keyid", "key": "$${v}_key" }${i < steps.length - 1 ? "," : ""}`;
  });
}

/** A policy section's lines and declarations (its id and prose are the caller's). */
export function policySection(cfg: WitnessConfig, keys: string[], steps: string[]): Pick<Section, "lines" | "runs" | "reads" | "writes"> {
  return { lines: policyLines(cfg, keys, steps), runs: ["witness"], reads: ["keys/policy.key"], writes: ["policy.json", "policy.signed.json"] };
}

/** The lines that write, check and sign a policy whose `publickeys` and `steps` lines are given. */
export function policyLines(cfg: WitnessConfig, keys: string[], steps: string[]): string[] {
  const policy = ["{", `  "expires": "${cfg.policy_expires}",`, '  "publickeys": {', ...keys, "  },", '  "steps": {', ...steps, "  }", "}"];
  return [
    ...expandingHeredoc("policy.json", policy.join("\n") + "\n"),
    "witness policy check policy.json",
    "witness sign -k keys/policy.key -f policy.json -o policy.signed.json",
  ];
}

/** The Rego mutations of a spec's rules: each must make its verify deny with the rule's message. */
export function mutationsOf({ rules, vars }: Resolved): Mutation[] {
  return rules.map((r: RegoConfig) => ({
    rule: r.name,
    find: fill(r.mutation.find, vars),
    replace: fill(r.mutation.replace, vars),
    explain: r.mutation.explain,
    message: fill(r.message, vars),
  }));
}

/**
 * What the spec's own step runs: witness, what its attestors run (`ATTESTOR_RUNS`), the configured command's programs (read by the shell parser, the project's
 * Makefile and scripts included: `programsOf`) and its preludes' (configured code, read the same way).
 */
export function stepRuns({ cmd, project, attestorNames }: Resolved, pre: string[]): string[] {
  // The wrapped command is the configured one, then `cp` of staged reports and maybe `sh -c`: both POSIX. Reading
  // `cmd.run` alone parses once per command, not once per combination of setups.
  const attestors = attestorNames.flatMap((a) => ATTESTOR_RUNS[a] ?? []);
  return [...new Set(["witness", ...attestors, ...programsOf(cmd.run, project.files), ...(pre.length ? programsOf(pre.join("\n")) : [])])];
}

/** The `attest` example of a spec: every other family builds on (or from the pieces of) this one. */
export function renderAttest(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): RenderedExample {
  return finish(draftAttest(spec, cfg, catalog));
}

/** The `attest` example of a spec as sections, before its answer is rendered. */
export function draftAttest(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): Draft {
  const resolved = resolveExample(spec, cfg);
  const { cmd, attestors, attestorNames, rules, setups } = resolved;
  const step = spec.step;
  const chain = spec.chain;
  const finalArtifact = chain ? `${chain}.tar.gz` : cmd.artifact;
  const useGit = setups.has("git");

  const sections: Section[] = [];
  const add = (s: Section | undefined): void => {
    if (s) sections.push(s);
  };

  const attNames = attestors.map((a) => `\`${a.name}\``);
  add({
    id: "intro",
    text:
      `It attests \`${cmd.run}\` as the \`${step}\` step, ` +
      `${chain ? `packs its result in a second step, \`${chain}\`, ` : ""}writes a policy signed by a separate key, and ends with \`witness verify\` on \`${finalArtifact}\`.`,
    runs: [],
  });

  add({
    id: "keys",
    text: `**Keys.** ${separateKey(resolved.phrase, !!chain)}`,
    lines: [
      "mkdir -p keys att reports",
      ...keyPairLines(step, spec.keys.step),
      ...(chain ? keyPairLines(chain, spec.keys.step) : []),
      ...keyPairLines("policy", spec.keys.policy),
    ],
    runs: ["openssl"],
    writes: ["keys", "att", "reports"],
  });

  add(projectSection(resolved));
  add(reportsSection(resolved));

  if (useGit) add(gitSection(resolved));

  const { pre, run } = attestStepLines(step, cfg, resolved);
  const explained = attestors.map((a) => `\`${a.name}\` ${a.explain}`).join("; ");
  add({
    id: "step",
    text: `**Attest the step.** ${stepWhy(resolved.phrase, explained, attNames.length > 1)}` + (pre.length ? ` ${ciWhy(resolved.phrase)}` : ""),
    lines: [...pre, run],
    runs: stepRuns(resolved, pre),
    reads: ["keys", "repo/ws"],
    writes: [`att/${step}.json`],
  });

  if (chain) {
    add({
      id: "chain",
      text:
        `**A second step.** \`${chain}\` packs \`${cmd.artifact}\` into \`${finalArtifact}\` under its own key. It records git as well: both attestations name the same commit, ` +
        `which is how \`witness verify\` walks from the tarball back to the \`${step}\` step.`,
      lines: [
        `(cd repo/ws && witness run -s ${chain} -k ../../keys/${chain}.key -o ../../att/${chain}.json -a git -- tar -czf ${finalArtifact} ${cmd.artifact})`,
      ],
      runs: ["witness", "tar", "gzip"],
      reads: ["keys", "repo/ws"],
      writes: [`att/${chain}.json`],
    });
  }

  add(keyIdSection([step, ...(chain ? [chain] : [])], resolved.phrase));
  add(regoSection(resolved));

  const typeOf = (name: string): string => attestorType(name, catalog, setups);
  const entries = attestationEntries(["material", "command-run", "product", ...attestorNames], typeOf, rules);
  const steps = [
    ...policyStepLines(step, entries, [], !chain),
    ...(chain ? policyStepLines(chain, attestationEntries(["material", "command-run", "product", "git"], typeOf), [step], true) : []),
  ];
  add({
    id: "policy",
    text:
      `**The policy.** ${policyWhy(resolved.phrase, cfg.policy_expires.slice(0, 10))} ` +
      (chain
        ? `The \`${chain}\` step trusts only its own key, and its \`artifactsFrom\` requires the files it read to be exactly what \`${step}\` left behind. `
        : "") +
      claim("policy-check"),
    ...policySection(cfg, publicKeyLines(chain ? [step, chain] : [step]), steps),
  });

  add({
    id: "verify",
    text: `**Verify.** ${verifyWhy(resolved.phrase, finalArtifact, chain ? step : undefined)} ${claim("verify-success")}`,
    lines: [`witness verify -p policy.signed.json -k keys/policy.pub -a att/${step}.json${chain ? ` -a att/${chain}.json` : ""} -f repo/ws/${finalArtifact}`],
    runs: ["witness"],
    reads: ["policy.signed.json", "keys/policy.pub", "att"],
  });

  const question = renderQuestion(spec, cfg);
  return { system: cfg.system_prompt, question, sections, mutations: mutationsOf(resolved) };
}
