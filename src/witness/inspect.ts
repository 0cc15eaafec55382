import type { WitnessConfig } from "../config/witness-schema.ts";
import type { Catalog } from "./catalog.ts";
import type { Family } from "./family.ts";
import { type Draft, fill, resolveExample } from "./render.ts";
import { envelopeWhy, inspectVerifyWhy } from "./phrases.ts";
import { insertSection, replaceSection, type Section } from "./sections.ts";
import { shellQuote } from "../proc/shell.ts";
import { bareAttestor } from "./scope.ts";
import { attestorId, type ExampleSpec } from "./spec.ts";

/** The in-toto media type witness gives every `witness run` envelope (DSSE `payloadType`). */
export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** A variable the `env-var` variant exports before `witness run`, so the environment attestor has a fixed value to show. */
export const ENV_VAR = { name: "RELEASE_CHANNEL", value: "stable" };
/** Where the decoded in-toto statement is written (beside `att/`, outside the attested working directory). */
const STATEMENT = "statement.json";

/** What a variant needs to know about an example's script. */
export interface InspectContext {
  step: string;
  artifact: string;
  source: string;
  lockfile: string;
  wrapped: string;
  attestorNames: string[];
  setups: Set<string>;
  /** The mocked pipeline URL of the spec's CI attestor (gitlab, jenkins), if it has one. */
  ci?: { attestor: string; variable: string; value: string };
}

/** One fact an inspect answer reads back out of the attestation and asserts with `test`. */
export interface InspectVariant {
  name: string;
  /** Which attestor records it, or `envelope` / `statement` for the DSSE and in-toto layers. */
  attestor: (c: InspectContext) => string;
  /** Where the question says to look, when not the attestor's own entry. */
  where?: string;
  /** The fact as a question names it. */
  what: (c: InspectContext) => string;
  applies: (c: InspectContext) => boolean;
  /**
   * The script text the value comes from, when it is a literal the script itself set. A Rego mutation that edits
   * it would make the assertion (which mutants re-run) fail before `witness verify`, so such specs do not fit.
   */
  origin?: (c: InspectContext) => string;
  /** The jq filter, given the attestation entry prefix for its attestor (`.predicate.attestations[] | select(...) | .attestation`). */
  filter: (c: InspectContext, entry: string) => string;
  /** jq options before the filter (`-r`, `-c`, `--arg ...`). */
  options: (c: InspectContext) => string;
  /** The value shown: a literal, or a command whose output it must equal (digests and hashes are never written out). */
  value: (c: InspectContext) => { literal: string } | { command: string; says: string };
  /** What the `test` line catches, when not "<what> is not <value>". */
  stops?: (c: InspectContext) => string;
  /** What the answer says about where it is and what it means. */
  explain: (c: InspectContext) => string;
}

const dgst = (path: string): string => `$(openssl dgst -sha256 -r ${path} | cut -d' ' -f1)`;
const argvOf = (wrapped: string): string[] =>
  wrapped.startsWith("sh -c '") ? ["sh", "-c", wrapped.slice("sh -c '".length, -1).replaceAll("'\\''", "'")] : wrapped.split(" ");

export const VARIANTS: InspectVariant[] = [
  {
    name: "step-name",
    attestor: () => "statement",
    what: () => "the step name",
    applies: () => true,
    origin: (c) => `witness run -s ${c.step} `,
    filter: () => ".predicate.name",
    options: () => "-r",
    value: (c) => ({ literal: c.step }),
    explain: (c) =>
      `The step name is the collection's own \`name\`, \`.predicate.name\`: \`${c.step}\`, exactly what \`witness run -s\` was given. \`witness verify\` finds a policy step's attestations by this name.`,
  },
  {
    name: "command-argv",
    attestor: () => "command-run",
    what: () => "the command's argv",
    applies: () => true,
    origin: (c) => `-- ${c.wrapped})`,
    filter: (_c, entry) => `${entry}.cmd`,
    options: () => "-c",
    value: (c) => ({ literal: JSON.stringify(argvOf(c.wrapped)) }),
    explain: (c) =>
      `The \`command-run\` attestor keeps the command as an argv array in \`cmd\`, one element per argument, not as one string: \`${JSON.stringify(argvOf(c.wrapped))}\`` +
      (c.wrapped.startsWith("sh -c ") ? ". The command uses shell syntax, so it ran as `sh -c`, and that is what was recorded." : "."),
  },
  {
    name: "exit-code",
    attestor: () => "command-run",
    what: () => "the command's exit code",
    applies: () => true,
    filter: (_c, entry) => `${entry}.exitcode`,
    options: () => "-r",
    value: () => ({ literal: "0" }),
    explain: () =>
      "The `command-run` attestor records the exit code as `exitcode`: `0`. It can be nothing else in a file `witness run` wrote: when the command fails, the run fails and writes no attestation at all.",
  },
  {
    name: "product-digest",
    attestor: () => "product",
    what: (c) => `the digest of \`${c.artifact}\``,
    applies: () => true,
    filter: (_c, entry) => `${entry}[$f].digest.sha256`,
    options: (c) => `-r --arg f ${c.artifact}`,
    value: (c) => ({ command: dgst(`repo/ws/${c.artifact}`), says: `the SHA-256 of \`repo/ws/${c.artifact}\`` }),
    explain: (c) =>
      `The \`product\` attestor maps each file the command created or changed, by its path relative to the working directory, to its MIME type and digests: \`${c.artifact}\` → \`.digest.sha256\`. ` +
      "It equals the SHA-256 of the file on disk, which `openssl dgst` computes; that is the digest `witness verify -f` looks for.",
  },
  {
    name: "material-digest",
    attestor: () => "material",
    what: (c) => `the digest of the input file \`${c.source}\``,
    applies: () => true,
    filter: (_c, entry) => `${entry}[$f].sha256`,
    options: (c) => `-r --arg f ${c.source}`,
    value: (c) => ({ command: dgst(`repo/ws/${c.source}`), says: `the SHA-256 of \`repo/ws/${c.source}\`` }),
    explain: (c) =>
      `The \`material\` attestor hashed every file in the working directory before the command ran, keyed by relative path: \`${c.source}\` → \`.sha256\`, ` +
      "the SHA-256 of the file as the step found it (the command did not change it, so `openssl dgst` of the file now gives the same value).",
  },
  {
    name: "subject-digest",
    attestor: () => "statement",
    what: (c) => `the subject that names \`${c.artifact}\``,
    stops: (c) => `the digest of that subject is not the SHA-256 of \`repo/ws/${c.artifact}\``,
    applies: () => true,
    filter: () => ".subject[] | select(.name == $n) | .digest.sha256",
    options: () => "-r --arg n PRODUCT_SUBJECT",
    value: (c) => ({ command: dgst(`repo/ws/${c.artifact}`), says: `the SHA-256 of \`repo/ws/${c.artifact}\`` }),
    explain: (c) =>
      "The statement's `subject` list is what `witness verify` searches by digest. Each attestor contributes subjects named `<its type URI>/<what>`; " +
      `the product attestor's subject for \`${c.artifact}\` is named \`PRODUCT_SUBJECT\`, and its \`digest.sha256\` is the SHA-256 of the file.`,
  },
  {
    name: "payload-type",
    attestor: () => "envelope",
    what: () => "the payload type",
    applies: () => true,
    filter: () => ".payloadType",
    options: () => "-r",
    value: () => ({ literal: INTOTO_PAYLOAD_TYPE }),
    explain: () =>
      `The payload type is a field of the envelope itself, outside the signed statement: \`.payloadType\` is \`${INTOTO_PAYLOAD_TYPE}\`, the media type of an in-toto statement. ` +
      "The signature covers it together with the payload (DSSE signs both).",
  },
  {
    name: "attestor-type",
    attestor: (c) => c.attestorNames.at(-1)!,
    what: (c) => `the type URI of the \`${c.attestorNames.at(-1)}\` attestation`,
    where: "the attestation collection",
    applies: (c) => c.attestorNames.length > 0,
    filter: () => "any(.predicate.attestations[]; .type == $t)",
    options: () => "-r --arg t ATTESTOR_TYPE",
    value: () => ({ literal: "true" }),
    stops: (c) => `the collection has no \`${c.attestorNames.at(-1)}\` entry of that type`,
    explain: (c) =>
      `The \`${c.attestorNames.at(-1)}\` attestor's entry is the one whose \`type\` is \`ATTESTOR_TYPE\`, the same URI the policy requires for it; ` +
      "`any(...)` prints `true` when the collection has an entry of that type.",
  },
  {
    name: "git-commit",
    attestor: () => "git",
    what: () => "the git commit hash",
    applies: (c) => c.attestorNames.includes("git"),
    filter: (_c, entry) => `${entry}.commithash`,
    options: () => "-r",
    value: () => ({ command: "$(git -C repo rev-parse HEAD)", says: "the commit `git rev-parse HEAD` prints" }),
    explain: () =>
      "The `git` attestor records the commit the step ran on as `commithash` (with its author, committer, message and tree): the full hash `git rev-parse HEAD` prints. " +
      "It is also a subject of the statement, which is how `witness verify` links steps built from one commit.",
  },
  {
    name: "git-branch",
    attestor: () => "git",
    what: () => "the git branch",
    applies: (c) => c.attestorNames.includes("git"),
    origin: () => "git init -q -b main",
    filter: (_c, entry) => `${entry}.branch`,
    options: () => "-r",
    value: () => ({ literal: "main" }),
    explain: () =>
      "The `git` attestor records the branch checked out when the step ran as `branch`: `main`, the branch `git init -b main` created (its full ref, `refs/heads/main`, is in `refs`).",
  },
  {
    name: "git-author",
    attestor: () => "git",
    what: () => "the commit author's email",
    applies: (c) => c.attestorNames.includes("git"),
    origin: () => 'git config user.email "release@example.com"',
    filter: (_c, entry) => `${entry}.authoremail`,
    options: () => "-r",
    value: () => ({ literal: "release@example.com" }),
    explain: () =>
      "The `git` attestor records the commit's author as `author` and `authoremail`: `release@example.com`, set by `git config user.email` in the repository. The committer is recorded apart, as `committeremail`.",
  },
  {
    name: "env-var",
    attestor: () => "environment",
    what: () => `the \`${ENV_VAR.name}\` environment variable`,
    applies: (c) => c.attestorNames.includes("environment"),
    origin: () => `export ${ENV_VAR.name}=${ENV_VAR.value}`,
    filter: (_c, entry) => `${entry}.variables.${ENV_VAR.name}`,
    options: () => "-r",
    value: () => ({ literal: ENV_VAR.value }),
    explain: () =>
      `The \`environment\` attestor records every variable of the run under \`variables\`, masking the values of names that look secret (\`*TOKEN*\`, \`*PASSWORD*\`, ...) as \`******\`. ` +
      `The run block exported \`${ENV_VAR.name}=${ENV_VAR.value}\` just before \`witness run\`, so \`variables.${ENV_VAR.name}\` is \`${ENV_VAR.value}\`.`,
  },
  {
    name: "lockfile",
    attestor: () => "lockfiles",
    what: () => "the lockfiles it found",
    applies: (c) => c.attestorNames.includes("lockfiles") && c.lockfile !== "",
    filter: (_c, entry) => `[${entry}.lockfiles[].filename] | join(" ")`,
    options: () => "-r",
    value: (c) => ({ literal: c.lockfile }),
    explain: (c) =>
      `The \`lockfiles\` attestor lists each lockfile it found at the top of the working directory under \`lockfiles\`, with its \`filename\`, full \`content\` and digest: here only \`${c.lockfile}\`.`,
  },
  {
    name: "ci-pipeline",
    attestor: (c) => c.ci?.attestor ?? "",
    what: () => "the CI pipeline URL",
    applies: (c) => c.ci !== undefined,
    origin: (c) => `export ${c.ci!.variable}=${shellQuote(c.ci!.value)}`,
    filter: (_c, entry) => `${entry}.pipelineurl`,
    options: () => "-r",
    value: (c) => ({ literal: c.ci!.value }),
    explain: (c) =>
      `The \`${c.ci!.attestor}\` attestor reads the CI's own variables and records the pipeline as \`pipelineurl\`, taken from \`${c.ci!.variable}\`: \`${c.ci!.value}\` (mocked here). ` +
      "It is also a subject, so `witness verify` can link every step of one pipeline.",
  },
];

export function variantOf(name: string): InspectVariant {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`unknown inspect variant ${name}`);
  return v;
}

const PIPELINE_URL: Record<string, string> = { gitlab: "CI_PIPELINE_URL", jenkins: "BUILD_URL" };

/** What the variants need to know about a spec's script. */
export function inspectContext(spec: ExampleSpec, cfg: WitnessConfig): InspectContext {
  const { cmd, project, attestors, attestorNames, setups, wrapped, vars } = resolveExample(spec, cfg);
  const ciAtt = attestors.find((a) => a.ci && PIPELINE_URL[a.name] && cfg.ci_mocks[a.ci]?.[PIPELINE_URL[a.name]!]);
  const ci = ciAtt ? { attestor: ciAtt.name, variable: PIPELINE_URL[ciAtt.name]!, value: cfg.ci_mocks[ciAtt.ci!]![PIPELINE_URL[ciAtt.name]!]! } : undefined;
  return {
    step: spec.step,
    artifact: cmd.artifact,
    source: vars.source!,
    lockfile: project.lockfile ?? "",
    wrapped,
    attestorNames,
    setups,
    ...(ci ? { ci } : {}),
  };
}

/** A variant fits a spec when its attestor ran and no Rego mutation of the spec edits the text its value comes from. */
export function variantFits(v: InspectVariant, spec: ExampleSpec, cfg: WitnessConfig): boolean {
  const c = inspectContext(spec, cfg);
  if (!v.applies(c)) return false;
  const origin = v.origin?.(c);
  if (!origin) return true;
  const { rules, vars } = resolveExample(spec, cfg);
  return rules.every((r) => {
    const find = fill(r.mutation.find, vars);
    const replace = fill(r.mutation.replace, vars);
    return !origin.includes(find) && !(find.includes(origin) && !replace.includes(origin));
  });
}

/** The type URI witness writes for an attestor of this example (an SBOM's depends on its format). */
function typeOf(name: string, c: InspectContext, catalog: Catalog): string {
  if (name !== "sbom") return catalog.types[name]!.type;
  return c.setups.has("sbom-cyclonedx") ? catalog.sbomTypes.cyclonedx : catalog.sbomTypes.spdx;
}

/** The variant's jq command, value and explanation, with catalog type URIs filled in. */
export function inspection(v: InspectVariant, c: InspectContext, catalog: Catalog) {
  const attestor = v.attestor(c);
  const layered = attestor === "envelope" || attestor === "statement";
  const entry = layered ? "" : `.predicate.attestations[] | select(.type == "${typeOf(attestor, c, catalog)}") | .attestation`;
  const subst = (s: string): string =>
    s
      .replaceAll("PRODUCT_SUBJECT", `${catalog.types.product!.type}/file:${c.artifact}`)
      .replaceAll("ATTESTOR_TYPE", layered ? "" : typeOf(attestor, c, catalog));
  const filter = v.filter(c, entry);
  const options = subst(v.options(c)).replace(/--arg (\w+) (\S+)/g, (_m, k: string, val: string) => `--arg ${k} ${shellQuote(val)}`);
  const file = attestor === "envelope" ? `att/${c.step}.json` : STATEMENT;
  const jq = `jq ${options} '${filter}' ${file}`;
  const value = v.value(c);
  const expected = "literal" in value ? shellQuote(value.literal) : `"${value.command}"`;
  return { attestor, filter, jq, file, value, expected, explain: subst(v.explain(c)) };
}

/**
 * `inspect`: "what did attestor X record / where is Y in the attestation". The answer is the attest example's
 * script plus a block, after the last `witness run` and before the key IDs (so prove.ts's `keyids` checkpoint
 * holds), that decodes the DSSE envelope with jq and asserts the value its prose states with `test`.
 * `checks`: `{ variant, attestor, jq, command, value, computed }` — `jq` is the filter, `command` the whole jq line,
 * `value` the literal asserted, or (computed: true) the command whose output the recorded value must equal.
 */
export const inspect: Family = {
  questions: (cfg) => cfg.families.inspect?.questions ?? [],
  shape(spec, turn, cfg) {
    // The answer builds only what the inspected value needs: one step, no Rego rules and one attestor, the one
    // inspected (or, for what witness always records, the one `-a` needs). The variant whose turn it is, else the next that fits.
    const cmd = cfg.commands.find((c) => c.name === spec.command);
    const bare = bareAttestor(spec.attestors, cfg);
    const others = cfg.attestors.filter((a) => !cfg.excluded_attestors.includes(a.name) && a.name !== "system-packages").map(attestorId);
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(turn + k) % VARIANTS.length]!;
      const order = v.name === "attestor-type" ? [...spec.attestors, bare] : [bare, ...spec.attestors, ...others];
      for (const id of new Set(order.filter((x): x is string => x !== undefined))) {
        const entry = cfg.attestors.find((a) => attestorId(a) === id);
        if (!entry || (cmd?.json_products && entry.sole_json_product)) continue;
        const trial: ExampleSpec = { ...spec, attestors: [id], rules: [], chain: null };
        const layered = ["statement", "envelope", "command-run", "product", "material"].includes(v.attestor(inspectContext(trial, cfg)));
        if (!variantFits(v, trial, cfg) || (!layered && v.attestor(inspectContext(trial, cfg)) !== entry.name)) continue;
        Object.assign(spec, trial, { variant: v.name, question: Math.floor(turn / VARIANTS.length) % this.questions(cfg).length });
        return true;
      }
    }
    return false;
  },
  render(spec, cfg, catalog, attest): Draft {
    const v = variantOf(spec.variant ?? "");
    const c = inspectContext(spec, cfg);
    const { cmd, phrase } = resolveExample(spec, cfg);
    const x = inspection(v, c, catalog);
    const what = v.what(c);
    const shown = "literal" in x.value ? `\`${x.value.literal}\`` : x.value.says;
    const section: Section = {
      id: "inspect",
      text:
        `**Inspect the attestation.** ${envelopeWhy(phrase)} ${x.explain}\n\n` +
        `The \`test\` line stops the script if ${v.stops?.(c) ?? `${what} is not ${shown}`}:`,
      lines: [`jq -r .payload att/${c.step}.json | openssl base64 -d -A > ${STATEMENT}`, `test "$(${x.jq})" = ${x.expected}`],
      runs: ["jq", "openssl", ...("command" in x.value && x.value.command.startsWith("$(git ") ? ["git"] : [])],
      reads: [`att/${c.step}.json`],
      writes: [STATEMENT],
    };
    const policyMention = "writes a policy signed by a separate key";
    let sections = replaceSection(attest.sections, "intro", (s) => {
      if (!s.text.includes(policyMention)) throw new Error(`inspect: the attest intro lacks "${policyMention}"`);
      return { ...s, text: s.text.replace(policyMention, `reads ${what} back out of the signed attestation, ${policyMention}`) };
    });
    // Right before the `witness run` line (the step's last), after any prelude.
    if (v.name === "env-var")
      sections = replaceSection(sections, "step", (s) => ({
        ...s,
        lines: [...(s.lines ?? []).slice(0, -1), `export ${ENV_VAR.name}=${ENV_VAR.value}`, ...(s.lines ?? []).slice(-1)],
      }));
    // After the last `witness run`, before the key IDs: prove.ts's `keyids` checkpoint holds.
    sections = insertSection(sections, "before", "keyids", section);
    // The question is about the attestation; the policy and verify that prove the answer follow in one block,
    // under one sentence (their lines and declarations unchanged).
    sections = replaceSection(sections, "keyids", (s) => ({ ...s, text: `**Verify.** ${inspectVerifyWhy(phrase, c.artifact)}` }));
    sections = replaceSection(sections, "policy", (s) => ({ ...s, text: "" }));
    sections = replaceSection(sections, "verify", (s) => ({ ...s, text: "" }));
    const templates = this.questions(cfg);
    const template = templates[spec.question % templates.length]!;
    const where =
      v.where ?? (x.attestor === "envelope" ? "the DSSE envelope" : x.attestor === "statement" ? "the in-toto statement" : `the \`${x.attestor}\` attestation`);
    const question = fill(template.replace(/\{(\w+)\}/g, "{{$1}}"), {
      step: c.step,
      command: cmd.run,
      artifact: c.artifact,
      what,
      where,
      attestor: x.attestor,
    });
    const computed = !("literal" in x.value);
    const value = "literal" in x.value ? x.value.literal : x.value.command;
    return { ...attest, question, sections, checks: { variant: v.name, attestor: x.attestor, jq: x.filter, command: x.jq, value, computed } };
  },
};
