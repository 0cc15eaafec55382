import type { RegoConfig, WitnessConfig } from "../config/witness-schema.ts";
import { brokenPrecheck, proveBroken, quoteBrokenError } from "./broken.ts";

export { maskDigests, VARIES, witnessErrors } from "./broken.ts";
import type { Family } from "./family.ts";
import { type Draft, ERROR_MARK, fill, resolveExample, shellVar } from "./render.ts";
import { readingOf } from "./error-words.ts";
import { fixWhy } from "./phrases.ts";
import { renderSections, type Section } from "./sections.ts";
import { extractScript } from "./script.ts";
import type { ExampleSpec } from "./spec.ts";

/** What a cause needs to know about an example's correct script to break it. */
export interface CauseContext {
  step: string;
  chain: string | null;
  keyVar: string;
  attestorNames: string[];
  artifact: string;
  source: string;
  rules: RegoConfig[];
  vars: Record<string, string>;
}

/** One way a witness script goes wrong: a text edit of the correct script, and what the answer says about it. */
export interface Cause {
  name: string;
  /** The failure class (`classify`) the broken run must end with. */
  expect: string;
  applies: (c: CauseContext) => boolean;
  /** The edit that breaks the correct script; `find` must occur exactly once. */
  edit: (c: CauseContext) => { find: string; replace: string };
  /** The answer's diagnosis: what is wrong and what to change. */
  explain: (c: CauseContext) => string;
}

export const CAUSES: Cause[] = [
  {
    name: "keyid-from-wrong-key",
    expect: "keyid-mismatch",
    applies: () => true,
    edit: (c) => ({
      find: `${c.keyVar}_keyid=$(openssl dgst -sha256 -r keys/${c.step}.pub`,
      replace: `${c.keyVar}_keyid=$(openssl dgst -sha256 -r keys/policy.pub`,
    }),
    explain: (c) =>
      `The key ID of the \`${c.step}\` functionary is computed from \`keys/policy.pub\`, the policy signer's key, so the policy trusts a key that never signed the attestation. Hash the \`${c.step}\` public key instead: \`openssl dgst -sha256 -r keys/${c.step}.pub\`.`,
  },
  {
    name: "policy-signed-by-step-key",
    expect: "bad-policy-signature",
    applies: () => true,
    edit: (c) => ({ find: "witness sign -k keys/policy.key ", replace: `witness sign -k keys/${c.step}.key ` }),
    explain: (c) =>
      `The policy is signed with the \`${c.step}\` key, but \`witness verify -k keys/policy.pub\` checks it against the policy key, so the signature does not match. Sign it with \`keys/policy.key\`: the key that runs builds must not also sign the rules.`,
  },
  {
    name: "policy-not-signed",
    expect: "bad-policy-signature",
    applies: () => true,
    edit: () => ({ find: "witness verify -p policy.signed.json ", replace: "witness verify -p policy.json " }),
    explain: () =>
      "`witness verify -p` is given the unsigned `policy.json`; it expects a DSSE envelope signed by the policy key. Pass `policy.signed.json`, the output of `witness sign`.",
  },
  {
    name: "policy-expired",
    expect: "expired-policy",
    applies: () => true,
    edit: (c) => ({ find: `"expires": "${c.vars.expires}"`, replace: '"expires": "2021-01-01T00:00:00Z"' }),
    explain: (c) =>
      `The policy's \`expires\` lies in the past, and witness refuses an expired policy. Set it far enough ahead (here \`${c.vars.expires}\`), then check and sign it again.`,
  },
  {
    name: "attestor-missing-from-run",
    expect: "no-matching-attestation",
    applies: (c) => c.attestorNames.length >= 2,
    edit: (c) => ({ find: ` -a ${c.attestorNames.join(",")}`, replace: ` -a ${c.attestorNames.slice(0, -1).join(",")}` }),
    explain: (c) =>
      `The policy requires the \`${c.attestorNames.at(-1)}\` attestation in the \`${c.step}\` step, but \`witness run -a\` never ran that attestor, so the attestation lacks it. Add it to \`-a\`: \`-a ${c.attestorNames.join(",")}\`.`,
  },
  {
    name: "artifact-changed-after-run",
    expect: "no-matching-attestation",
    applies: () => true,
    edit: (c) => ({ find: "witness verify -p ", replace: `echo patched >> repo/ws/${c.chain ? `${c.chain}.tar.gz` : c.artifact}\nwitness verify -p ` }),
    explain: (c) =>
      `\`repo/ws/${c.chain ? `${c.chain}.tar.gz` : c.artifact}\` is changed after \`witness run\` recorded it, so its digest matches no product in any attestation. Verify the file exactly as the step left it (or re-run the step after changing it).`,
  },
  {
    name: "wrong-functionary",
    expect: "untrusted-signer",
    applies: () => true,
    edit: (c) => ({ find: `witness run -s ${c.step} -k ../../keys/${c.step}.key `, replace: `witness run -s ${c.step} -k ../../keys/policy.key ` }),
    explain: (c) =>
      `The \`${c.step}\` attestation is signed with \`keys/policy.key\`, but the policy names only the \`${c.step}\` key as that step's functionary. Sign the step with its own key, \`-k ../../keys/${c.step}.key\`.`,
  },
  {
    name: "rego-rule-denies",
    expect: "rego-deny",
    applies: (c) => c.rules.length > 0,
    edit: (c) => ({ find: fill(c.rules[0]!.mutation.find, c.vars), replace: fill(c.rules[0]!.mutation.replace, c.vars) }),
    explain: (c) =>
      `The Rego rule \`${c.rules[0]!.name}\` denies: ${c.rules[0]!.mutation.explain}, and the rule requires that ${fill(c.rules[0]!.message, c.vars).replace(/^the /, "")}. Put it back as the rule expects.`,
  },
  {
    name: "step-name-mismatch",
    expect: "no-matching-attestation",
    applies: () => true,
    edit: (c) => ({ find: `witness run -s ${c.step} `, replace: `witness run -s ${c.step}-ci ` }),
    explain: (c) =>
      `The attestation is made for a step named \`${c.step}-ci\`, but the policy's step is \`${c.step}\`; witness matches them by name. Use \`-s ${c.step}\` in \`witness run\`.`,
  },
  {
    name: "artifacts-from-wrong-step",
    expect: "verify-failed",
    applies: (c) => c.chain !== null,
    edit: (c) => ({ find: `"artifactsFrom": [ "${c.step}" ]`, replace: `"artifactsFrom": [ "${c.step}-ci" ]` }),
    explain: (c) =>
      `\`artifactsFrom\` of the \`${c.chain}\` step names \`${c.step}-ci\`, a step the policy does not have, instead of the step that made its input. Point it at \`${c.step}\`: \`"artifactsFrom": [ "${c.step}" ]\`.`,
  },
  {
    name: "subject-wrong-file",
    expect: "no-matching-attestation",
    applies: (c) => c.source !== c.artifact,
    edit: (c) => ({ find: ` -f repo/ws/${c.chain ? `${c.chain}.tar.gz` : c.artifact}`, replace: ` -f repo/ws/${c.source}` }),
    explain: (c) =>
      `\`-f repo/ws/${c.source}\` names an input of the step, not something it produced, so no attestation has it as a product. Give the artifact: \`-f repo/ws/${c.chain ? `${c.chain}.tar.gz` : c.artifact}\`.`,
  },
  {
    name: "verify-with-step-key",
    expect: "bad-policy-signature",
    applies: () => true,
    edit: (c) => ({ find: "witness verify -p policy.signed.json -k keys/policy.pub ", replace: `witness verify -p policy.signed.json -k keys/${c.step}.pub ` }),
    explain: (c) =>
      `\`witness verify -k\` is given the \`${c.step}\` public key, but the policy was signed with the policy key; \`-k\` is the key that checks the policy's signature. Pass \`keys/policy.pub\`.`,
  },
];

export function causeOf(name: string): Cause {
  const c = CAUSES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown troubleshoot cause ${name}`);
  return c;
}

/** Applies a cause's edit; undefined when its target does not occur exactly once. */
export function breakScript(script: string, c: Cause, ctx: CauseContext): string | undefined {
  const { find, replace } = c.edit(ctx);
  const first = script.indexOf(find);
  if (first < 0 || script.indexOf(find, first + 1) >= 0) return undefined;
  return script.slice(0, first) + replace + script.slice(first + find.length);
}

/** A placeholder a reader could take for text to fill in (`<digest>`, `<your key>`, `{error}`, `{{step}}`): no example carries one. */
export const PLACEHOLDER =
  /<(?:digest|hash|sha256|key ?id|keyid|path|dir|file|time|timestamp|value|placeholder|your[\w -]*)>|\{\{\w+\}\}|\{(?:error|script|step|command|artifact|project|attestors|rules)\}/i;

/** What a troubleshoot cause needs to know about a spec's correct script. */
export function causeContext(spec: ExampleSpec, cfg: WitnessConfig): CauseContext {
  const { cmd, attestorNames, rules, vars } = resolveExample(spec, cfg);
  return {
    step: spec.step,
    chain: spec.chain,
    keyVar: shellVar(spec.step),
    attestorNames,
    artifact: cmd.artifact,
    source: vars.source!,
    rules,
    vars: { ...vars, expires: cfg.policy_expires },
  };
}

/**
 * `troubleshoot`: the user shows the correct script broken by one cause and the error witness printed (filled in
 * from the broken script's real run, `ERROR_MARK`); the answer names the cause and gives the whole corrected script.
 */
export const troubleshoot: Family = {
  questions: (cfg) => cfg.families.troubleshoot?.questions ?? [],
  precheck: brokenPrecheck,
  extraProof: proveBroken,
  settle: quoteBrokenError,
  shape(spec, turn, cfg) {
    const c = causeContext(spec, cfg);
    const fits = CAUSES.filter((k) => k.applies(c));
    if (!fits.length) return false;
    spec.cause = fits[turn % fits.length]!.name;
    spec.question = turn % this.questions(cfg).length;
    return true;
  },
  render(spec, cfg, _catalog, attest): Draft {
    const cause = causeOf(spec.cause ?? "");
    const c = causeContext(spec, cfg);
    const { cmd, vars, phrase } = resolveExample(spec, cfg);
    const broken = breakScript(extractScript(renderSections(attest.sections)), cause, c) ?? "";
    const templates = this.questions(cfg);
    const template = templates[spec.question % templates.length]!;
    const asked = fill(template.replace(/\{(step|command|artifact)\}/g, "{{$1}}"), { ...vars, command: cmd.run }).replace("{error}", ERROR_MARK);
    // The user wrote the script and knows its parts: the answer explains the error and the cause, then gives the
    // corrected script whole, in one block, its sections without prose of their own (their lines and declarations
    // stay, so prerequisites and checkpoints are derived as for every answer).
    const fix = `**The corrected script.** ${fixWhy(phrase, c.chain ? `${c.chain}.tar.gz` : c.artifact)}`;
    const script = attest.sections.map((s): Section => (s.id === "intro" ? { ...s, text: fix } : { ...s, text: "" }));
    return {
      ...attest,
      question: asked.replace("{script}", () => broken),
      sections: [
        { id: "error", text: `**Reading the error.** ${readingOf(cause.expect).text(c.step)}`, runs: [] },
        { id: "cause", text: `**What is wrong.** ${cause.explain(c)}`, runs: [] },
        ...script,
      ],
      broken: { cause: cause.name, expect: cause.expect, script: broken },
    };
  },
};
