import type { WitnessConfig, RegoConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import { pomXml, stagedFiles } from "./setups.ts";
import type { ExampleSpec, KeyType } from "./spec.ts";
import { familyPlugin } from "./families.ts";

/** A script edit that must make `witness verify` deny with `message`. */
export interface Mutation {
  rule: string;
  find: string;
  replace: string;
  explain: string;
  message: string;
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

export const sh = (lines: string[]): string => `\`\`\`sh\n${lines.join("\n")}\n\`\`\``;
export const shellVar = (name: string): string => name.replace(/[^A-Za-z0-9]/g, "_");
const needsShell = (cmd: string): boolean => /[<>|&;$*()`"\\]/.test(cmd);

export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);
}

export function listWords(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export function heredoc(path: string, content: string, expand = false): string[] {
  const body = content.endsWith("\n") ? content.slice(0, -1) : content;
  return [`cat > ${path} <<${expand ? "EOF" : "'EOF'"}`, ...body.split("\n"), "EOF"];
}

/** Everything an example's text is made of, looked up once from its spec. */
export function resolveExample(spec: ExampleSpec, cfg: WitnessConfig) {
  const cmd = cfg.commands.find((c) => c.name === spec.command)!;
  const project = cfg.projects.find((p) => p.name === cmd.project)!;
  const attestors = spec.attestors.map((n) => cfg.attestors.find((a) => (a.id ?? a.name) === n)!);
  const attestorNames = [...new Set(attestors.map((a) => a.name))];
  const rules = spec.rules.map((n) => cfg.rego.find((r) => r.name === n)!);
  const setups = new Set(attestors.map((a) => a.setup));
  const staged = [...setups].flatMap((s) => stagedFiles(s, project.name));
  const emit = staged.map((f) => `cp ../../reports/${f.name} ${f.product}`);
  const cmdline = [cmd.run, ...emit].join(" && ");
  const wrapped = needsShell(cmdline) ? `sh -c '${cmdline}'` : cmdline;
  const argv0 = wrapped.split(" ")[0]!;
  const source = Object.keys(project.files).find((f) => f !== project.lockfile) ?? Object.keys(project.files)[0]!;
  const vars: Record<string, string> = { artifact: cmd.artifact, argv0, project: project.name, lockfile: project.lockfile ?? "", source, step: spec.step };
  return { cmd, project, attestors, attestorNames, rules, setups, staged, wrapped, vars };
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

/** Renders one example's question and answer; the answer's sh blocks are the whole proof. */
export function renderExample(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): RenderedExample {
  const attest = renderAttest(spec, cfg, catalog);
  const family = spec.family && spec.family !== "attest" ? familyPlugin(spec.family) : undefined;
  return family ? family.render(spec, cfg, catalog, attest) : attest;
}

/** The `attest` example of a spec: every other family builds on (or from the pieces of) this one. */
export function renderAttest(spec: ExampleSpec, cfg: WitnessConfig, catalog: Catalog): RenderedExample {
  const { cmd, project, attestors, attestorNames, rules, setups, staged, wrapped, vars } = resolveExample(spec, cfg);
  const step = spec.step;
  const chain = spec.chain;
  const finalArtifact = chain ? `${chain}.tar.gz` : cmd.artifact;
  const useGit = setups.has("git");

  const blocks: string[] = [];
  const say = (text: string, lines?: string[]): void => {
    blocks.push(text);
    if (lines) blocks.push(sh(lines));
  };

  const attNames = attestors.map((a) => `\`${a.name}\``);
  say(
    `This runs as written in an empty directory with \`witness\`, \`openssl\` and \`git\` on the PATH. It attests \`${cmd.run}\` as the \`${step}\` step, ` +
      `${chain ? `packs its result in a second step, \`${chain}\`, ` : ""}writes a policy signed by a separate key, and ends with \`witness verify\` on \`${finalArtifact}\`.`,
  );

  say(
    `**Keys.** ${chain ? `Each step signs its attestation with its own ${KEYNAME[spec.keys.step]} key` : `The step signs its attestation with its own ${KEYNAME[spec.keys.step]} key`}; the policy is signed by a separate, ${KEYNAME[spec.keys.policy]} key, ` +
      `so whoever can run builds cannot also rewrite the rules.`,
    [
      "mkdir -p keys att reports",
      `openssl genpkey ${KEYGEN[spec.keys.step]} -out keys/${step}.key`,
      `openssl pkey -in keys/${step}.key -pubout -out keys/${step}.pub`,
      ...(chain
        ? [`openssl genpkey ${KEYGEN[spec.keys.step]} -out keys/${chain}.key`, `openssl pkey -in keys/${chain}.key -pubout -out keys/${chain}.pub`]
        : []),
      `openssl genpkey ${KEYGEN[spec.keys.policy]} -out keys/policy.key`,
      "openssl pkey -in keys/policy.key -pubout -out keys/policy.pub",
    ],
  );

  const files: string[] = ["mkdir -p repo/ws"];
  const dirs = [
    ...new Set(
      Object.keys(project.files)
        .filter((f) => f.includes("/"))
        .map((f) => `repo/ws/${f.slice(0, f.lastIndexOf("/"))}`),
    ),
  ];
  if (dirs.length) files.push(`mkdir -p ${dirs.join(" ")}`);
  for (const [path, content] of Object.entries(project.files)) {
    if (content === "") files.push(`: > repo/ws/${path}`);
    else files.push(...heredoc(`repo/ws/${path}`, content));
  }
  if (setups.has("maven")) files.push(...heredoc("repo/ws/pom.xml", pomXml(project.name)));
  say(
    `**The project.** A small ${project.kind} in \`repo/ws\`${setups.has("maven") ? ", with a `pom.xml` for the maven attestor" : ""}. ` +
      `Keys, attestations and policy stay outside that directory, so they never show up as materials or products.`,
    files,
  );

  if (staged.length) {
    const lines: string[] = [];
    for (const f of staged) {
      if (f.compute) lines.push(...f.compute);
      if (f.content !== undefined) lines.push(...heredoc(`reports/${f.name}`, f.content, Boolean(f.compute)));
    }
    say(
      `**Reports the step publishes.** ${staged.map((f) => `\`${f.product}\` is ${f.explain}`).join("; ")}. The step copies ${staged.length > 1 ? "them" : "it"} into the working directory, so witness sees ${staged.length > 1 ? "them as products" : "it as a product"}.`,
      lines,
    );
  }

  if (useGit) {
    say(
      "**Git.** The git attestor records the commit the step ran on, so the project is committed first (the repository's own identity, not your global config).",
      [
        "(",
        "  cd repo",
        "  git init -q -b main",
        '  git config user.name "Release Bot"',
        '  git config user.email "release@example.com"',
        "  git add -A",
        `  git commit -q -m "release: ${project.name} 1.0.0"`,
        ")",
      ],
    );
  }

  const pre: string[] = [];
  for (const a of attestors) {
    if (a.ci) for (const [k, v] of Object.entries(cfg.ci_mocks[a.ci] ?? {})) pre.push(`export ${k}='${v}'`);
  }
  for (const r of rules) pre.push(...r.prelude.map((l) => fill(l, vars)));
  const flags = attestors.flatMap((a) => a.flags);
  const runLine = `(cd repo/ws && witness run -s ${step} -k ../../keys/${step}.key -o ../../att/${step}.json -a ${attestorNames.join(",")}${flags.length ? ` ${flags.join(" ")}` : ""} -- ${wrapped})`;
  const explained = attestors.map((a) => `\`${a.name}\` ${a.explain}`).join("; ");
  say(
    `**Attest the step.** \`witness run\` executes the command in \`repo/ws\` and always records its materials, the command itself and its products; ` +
      `\`-a\` adds ${attNames.length > 1 ? "these attestors" : "one attestor"}: ${explained}.` +
      (pre.length ? " The exported variables are what the run records (CI values are mocked here)." : ""),
    [...pre, runLine],
  );

  if (chain) {
    say(
      `**A second step.** \`${chain}\` packs \`${cmd.artifact}\` into \`${finalArtifact}\` under its own key. It records git as well: both attestations name the same commit, ` +
        `which is how \`witness verify\` walks from the tarball back to the \`${step}\` step.`,
      [`(cd repo/ws && witness run -s ${chain} -k ../../keys/${chain}.key -o ../../att/${chain}.json -a git -- tar -czf ${finalArtifact} ${cmd.artifact})`],
    );
  }

  const keyVar = shellVar(step);
  const chainVar = chain ? shellVar(chain) : "";
  const policyLines = [
    `${keyVar}_keyid=$(openssl dgst -sha256 -r keys/${step}.pub | cut -d' ' -f1)`,
    `${keyVar}_key=$(openssl base64 -A -in keys/${step}.pub)`,
    ...(chain
      ? [`${chainVar}_keyid=$(openssl dgst -sha256 -r keys/${chain}.pub | cut -d' ' -f1)`, `${chainVar}_key=$(openssl base64 -A -in keys/${chain}.pub)`]
      : []),
  ];
  say(
    `**Key ID${chain ? "s" : ""}.** A witness key ID is the SHA-256 of the public key in PEM form; the policy carries the PEM itself in base64. Both are computed, never pasted.`,
    policyLines,
  );

  const regoVars = new Map<string, string>();
  if (rules.length) {
    const lines = ["mkdir -p rego"];
    for (const r of rules) {
      lines.push(...heredoc(`rego/${r.name}.rego`, fill(r.module, vars)));
      const v = `rego_${shellVar(r.name)}`;
      regoVars.set(r.name, v);
      lines.push(`${v}=$(openssl base64 -A -in rego/${r.name}.rego)`);
    }
    const what = rules.map((r) => `${fill(r.message, vars)} (\`${r.attestor}\`)`).join("; ");
    say(
      `**Rego rules.** Each module denies with a message when its check fails: ${what}. \`import rego.v1\` keeps them valid for both \`witness verify\` and \`witness policy check\`.`,
      lines,
    );
  }

  const typeOf = (name: string): string => {
    if (name !== "sbom") return catalog.types[name]!.type;
    return setups.has("sbom-cyclonedx") ? catalog.sbomTypes.cyclonedx : catalog.sbomTypes.spdx;
  };
  const required = ["material", "command-run", "product", ...attestorNames];
  const entries = required.map((name, i) => {
    const own = rules.filter((r) => r.attestor === name);
    const comma = i < required.length - 1 ? "," : "";
    if (!own.length) return `        { "type": "${typeOf(name)}" }${comma}`;
    const pols = own.map((r) => `{ "name": "${r.name}", "module": "$${regoVars.get(r.name)}" }`).join(", ");
    return `        { "type": "${typeOf(name)}", "regopolicies": [ ${pols} ] }${comma}`;
  });
  const chainSteps = chain
    ? [
        "    },",
        `    "${chain}": {`,
        `      "name": "${chain}",`,
        `      "functionaries": [ { "type": "publickey", "publickeyid": "$${chainVar}_keyid" } ],`,
        '      "attestations": [',
        ...["material", "command-run", "product", "git"].map((n, i) => `        { "type": "${typeOf(n)}" }${i < 3 ? "," : ""}`),
        "      ],",
        `      "artifactsFrom": [ "${step}" ]`,
        "    }",
      ]
    : ["    }"];
  const policy = [
    "{",
    `  "expires": "${cfg.policy_expires}",`,
    '  "publickeys": {',
    `    "$${keyVar}_keyid": { "keyid": "$${keyVar}_keyid", "key": "$${keyVar}_key" }${chain ? "," : ""}`,
    ...(chain ? [`    "$${chainVar}_keyid": { "keyid": "$${chainVar}_keyid", "key": "$${chainVar}_key" }`] : []),
    "  },",
    '  "steps": {',
    `    "${step}": {`,
    `      "name": "${step}",`,
    `      "functionaries": [ { "type": "publickey", "publickeyid": "$${keyVar}_keyid" } ],`,
    '      "attestations": [',
    ...entries,
    "      ]",
    ...chainSteps,
    "  }",
    "}",
  ];
  say(
    `**The policy.** Only the \`${step}\` key may sign the \`${step}\` step${chain ? ` and only the \`${chain}\` key the \`${chain}\` step` : ""}, every listed attestation type must be present, ` +
      (chain ? `\`artifactsFrom\` requires the files \`${chain}\` read to be exactly what \`${step}\` left behind, ` : "") +
      `and the policy expires on ${cfg.policy_expires.slice(0, 10)}. ` +
      "`witness policy check` validates it (JSON, expiry, key IDs, Rego syntax) before it is signed with the policy key.",
    [
      ...heredoc("policy.json", policy.join("\n") + "\n", true),
      "witness policy check policy.json",
      "witness sign -k keys/policy.key -f policy.json -o policy.signed.json",
    ],
  );

  say(
    `**Verify.** \`witness verify\` checks the policy signature with the policy public key, finds the attestation whose products include \`${finalArtifact}\`` +
      (chain ? `, follows the shared commit to the \`${step}\` attestation, ` : ", ") +
      "and checks signers, attestation types and Rego rules. It prints `Verification succeeded` and exits 0.",
    [`witness verify -p policy.signed.json -k keys/policy.pub -a att/${step}.json${chain ? ` -a att/${chain}.json` : ""} -f repo/ws/${finalArtifact}`],
  );

  const question = renderQuestion(spec, cfg);
  const mutations = rules.map((r: RegoConfig) => ({
    rule: r.name,
    find: fill(r.mutation.find, vars),
    replace: fill(r.mutation.replace, vars),
    explain: r.mutation.explain,
    message: fill(r.message, vars),
  }));
  const answer = blocks.join("\n\n") + "\n";
  return { system: cfg.system_prompt, question, answer, mutations };
}
