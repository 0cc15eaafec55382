import { sha256 } from "../dataset/hash.ts";

/**
 * The prose of an answer's recurring explanations, in several phrasings each. Every phrasing says why (what the
 * verifier compares, what would fail without the step), and most name the example's own values, so no long sentence
 * repeats across a dataset while one example always reads the same: the choice is a pure function of the example's
 * seed (its spec) and the slot.
 */
export interface PhraseVars {
  /** The example's seed: its canonical spec. */
  seed: string;
  step: string;
  /** The working directory `witness run` records, e.g. `repo/ws`. */
  dir: string;
  stepKey: string;
  policyKey: string;
  project: string;
}

/** One phrasing of `slot` for this example: deterministic in (seed, slot), spread evenly over the options. */
export function choose<T>(slot: string, seed: string, options: readonly T[]): T {
  const n = Number.parseInt(sha256(`${slot}\n${seed}`).slice(0, 8), 16);
  return options[n % options.length]!;
}

const code = (s: string): string => `\`${s}\``;

/** Why the keys, attestations and policy live outside the recorded directory. */
export function outsideDir(v: PhraseVars): string {
  const d = code(v.dir);
  return choose("outside", v.seed, [
    `Keys, attestations and the policy stay outside ${d}: \`witness run\` hashes what is under it, and a private key must not become a material of ${code(v.step)}.`,
    `Only the project lives in ${d}; the keys and the policy sit beside it, where the ${code(v.step)} run does not record them.`,
    `\`witness run\` records every file under its working directory, so ${d} holds the ${v.project} sources and nothing that signs.`,
    `Anything inside ${d} is hashed into the ${code(v.step)} attestation, which is why \`keys/\` and \`att/\` are one level up.`,
    `The ${v.project} files go into ${d}, the directory the step runs in; keys and attestations stay out of what it records.`,
    `Keeping \`keys/\` outside ${d} means the ${code(v.step)} step's materials list only the project, never a private key.`,
  ]);
}

/** Why the script computes the key IDs (after the checked statement of what a key ID is). */
export function keyIdWhy(v: PhraseVars, steps: string[]): string {
  const pubs = steps.map((s) => code(`keys/${s}.pub`)).join(" and ");
  const one = steps.length === 1;
  return choose("keyid", v.seed, [
    `The policy also carries the PEM, base64 on one line. Both come from ${pubs}, so they cannot drift from the key that signed.`,
    `The policy names ${one ? "its signer" : "each signer"} by that ID and embeds the PEM in base64; computing both from ${pubs} avoids a stale pasted value.`,
    `\`openssl dgst -sha256\` over ${pubs} gives the ID the policy names; \`openssl base64 -A\` gives the one-line key it embeds.`,
    `A pasted ID goes stale the moment ${one ? "the key is" : "a key is"} regenerated; hashing ${pubs} here keeps the policy and the ${v.stepKey} ${one ? "key" : "keys"} in step.`,
    `The script derives that ID, and the base64 PEM the policy embeds, from ${pubs} instead of copying them from an earlier run.`,
  ]);
}

/** Why a separate policy key. */
export function separateKey(v: PhraseVars, many: boolean): string {
  const who = many ? "Each step signs its attestation with its own" : `The ${code(v.step)} step signs its attestation with its own`;
  return choose("keys", v.seed, [
    `${who} ${v.stepKey} key; a separate ${v.policyKey} key signs the policy, so a step key cannot rewrite the rules.`,
    `${who} ${v.stepKey} key. Verify trusts the policy only through its own ${v.policyKey} key, which no step holds.`,
    `${who} ${v.stepKey} key, and a ${v.policyKey} key signs the policy: a leaked ${code(v.step)} key cannot change what verify demands.`,
    `${who} ${v.stepKey} key. A second pair (${v.policyKey}) signs only the policy; \`witness verify -k\` checks against it.`,
    `${who} ${v.stepKey} key; \`keys/policy.key\` (${v.policyKey}) signs only the policy, so whoever runs ${code(v.step)} cannot also loosen the rules it is judged by.`,
    `${who} ${v.stepKey} key. \`keys/policy.pub\` (${v.policyKey}) is verify's root of trust, so no step holds its private half.`,
  ]);
}

/** Why the repository is committed before the step runs. */
export function gitWhy(v: PhraseVars): string {
  return choose("git", v.seed, [
    `The git attestor records the commit ${code(v.step)} ran on, so the ${v.project} sources are committed first, with the repository's own identity rather than your global git config.`,
    `Without a commit there is nothing for the git attestor to record; one commit of the ${v.project} sources, by a local identity, gives ${code(v.step)} a commit hash.`,
    `\`-a git\` records the commit, branch and tree status of the repository it runs in. A single release commit of ${code(v.dir)} is enough, made with a repository-local name and e-mail.`,
    `The ${code(v.step)} attestation will carry the commit hash of this repository, so the project is committed before the step runs (an uncommitted tree has no commit to record).`,
    `The git attestor reads the repository around ${code(v.dir)}; committing the ${v.project} files first gives it a commit to name, and a clean tree.`,
    `Verify can only tie ${code(v.step)} to a commit that exists, so the repository gets one commit of the ${v.project} sources before the run.`,
  ]);
}

/** Why the CI variables are exported. */
export function ciWhy(v: PhraseVars): string {
  return choose("ci", v.seed, [
    "The exported variables stand in for the CI system: the CI attestor reads them at run time (their values are made up here).",
    `The CI attestor records what the CI environment tells it; outside CI the ${code(v.step)} run sees these exported, mocked values.`,
    "These exports imitate the CI runner's environment; the attestor copies them into the attestation.",
    "A CI attestor has nothing to record outside CI, so the script exports the variables a runner would set, with example values.",
    `Run outside a CI system, the ${code(v.step)} step would give its CI attestor nothing to read; the exports supply made-up runner values.`,
    `The CI values below are examples: in a real pipeline the runner sets them, and the ${code(v.step)} attestation records whatever they are.`,
  ]);
}

/** What `witness verify` compares, at the end (the checked statement of its success follows). */
export function verifyWhy(v: PhraseVars, artifact: string, chained: string | undefined): string {
  const a = code(artifact);
  const walk = chained ? `, follows the shared commit back to the ${code(chained)} attestation` : "";
  return choose("verify", v.seed, [
    `\`witness verify\` checks the policy's signature with the policy public key, finds the attestation whose products include ${a}${walk}, and checks its signer, attestation types and Rego rules.`,
    `Verification starts from ${a}: witness hashes it, looks for an attestation listing that digest among its products${walk}, and accepts it only if the policy's key signed it and every required attestor is there.`,
    `\`witness verify\` trusts the policy only if \`keys/policy.pub\` verifies its signature; then ${a}'s digest must appear among a step's products${walk}, signed by the key the policy names.`,
    `Given ${a}, verify searches the attestations for one whose products contain it${walk}, then applies the policy: signer, required attestation types, Rego.`,
  ]);
}

/** Why every attestation type is listed. */
export function policyWhy(v: PhraseVars, exp: string): string {
  return choose("policy", v.seed, [
    `Only the ${code(v.step)} key may sign ${code(v.step)}, and every attestation type listed must be present in its attestation; the policy expires on ${exp}.`,
    `The ${code(v.step)} step accepts one functionary, the key whose ID the script computed, and requires each listed attestation type; after ${exp} the policy stops verifying anything.`,
    `A policy step names who may sign it (the ${code(v.step)} key's ID) and what its attestation must contain (the types below); this one is valid until ${exp}.`,
    `An attestation of ${code(v.step)} passes only if the ${code(v.step)} key signed it and it holds every type listed below; the policy lapses on ${exp}.`,
    `Signer and contents are both pinned: the ${code(v.step)} key's ID as functionary, the attestation types as requirements, until ${exp}.`,
  ]);
}

/** What `witness run` records for the step, and how `-a` adds to it; `attestors` is the list of what each adds. */
export function stepWhy(v: PhraseVars, attestors: string, many: boolean): string {
  const s = code(v.step);
  const first = choose("step", v.seed, [
    `\`witness run -s ${v.step}\` runs the command in ${code(v.dir)} and records its materials, command and products: the digests verify looks for.`,
    `Under \`witness run\`, the ${s} command runs in ${code(v.dir)} as usual; the files it read and wrote are recorded by digest.`,
    `\`witness run\` records what ${s} started from, the command it ran and what it left behind; without that record, verify would have no product to find.`,
    `The ${s} attestation lists the files the command read (materials) and wrote (products), by digest, with the command.`,
  ]);
  const lead = choose("step-a", v.seed, [
    `\`-a\` adds ${many ? "these attestors" : "one attestor"}:`,
    `Beyond that, the attestation holds what ${many ? "each attestor after `-a` records" : "the attestor after `-a` records"}:`,
    `\`-a\` names ${many ? "the attestors" : "the attestor"} the policy will require:`,
    `What \`-a\` adds for ${s}:`,
  ]);
  return `${first} ${lead} ${attestors}.`;
}

/** Why the troubleshoot answer's corrected script is given whole. */
export function fixWhy(v: PhraseVars, artifact: string): string {
  return choose("fix", v.seed, [
    "Below is the whole script with that fixed; it runs as written and ends with `witness verify` succeeding.",
    `The whole script again, with that one change: run as written, it ends with \`witness verify\` accepting ${code(artifact)}.`,
    `Here is the script in full, fixed, so it can replace yours; its last line verifies ${code(artifact)} and succeeds.`,
    `Only the line above changes; the ${code(v.step)} script below is complete, and its final \`witness verify\` passes.`,
    `With the fix, the script ends with a passing \`witness verify\` on ${code(artifact)}.`,
  ]);
}

/** What a DSSE envelope and the in-toto statement inside it hold (inspect). */
export function envelopeWhy(v: PhraseVars): string {
  const att = code(`att/${v.step}.json`);
  return choose("envelope", v.seed, [
    `${att} is a DSSE envelope whose \`payload\` is the base64 of an in-toto statement, signed by the ${code(v.step)} key. ` +
      "Decoded, its `predicate` is witness's collection: the step in `.predicate.name`, one entry per attestor in `.predicate.attestations[]`.",
    `What \`witness run\` wrote to ${att} is a signed envelope (DSSE), so the script decodes its base64 \`payload\` first. ` +
      "Inside, `subject` lists the products by digest and `.predicate.attestations[]` holds each attestor's `type` and record.",
    `The ${code(v.step)} key signed the bytes of \`payload\` in ${att}, not the JSON around it, so read the decoded payload. ` +
      "Each attestor's entry in `.predicate.attestations[]` has a `type`; what it recorded is under `.attestation`.",
    `${att} wraps the statement in DSSE (\`payloadType\`, \`payload\`, \`signatures\`); decode \`payload\` to reach it. ` +
      "The statement holds `subject` (by digest), `predicateType` and the collection in `predicate`.",
  ]);
}

/** The one sentence over an inspect answer's policy and verify block. */
export function inspectVerifyWhy(v: PhraseVars, artifact: string): string {
  const a = code(artifact);
  return choose("inspect-verify", v.seed, [
    `A policy that trusts only the ${code(v.step)} key, by its computed ID, and a passing \`witness verify\` of ${a} show the attestation is genuine.`,
    `The key ID is computed from ${code(`keys/${v.step}.pub`)}; the policy, signed by the policy key, then lets \`witness verify\` accept ${a}.`,
    `What was read above counts only if the attestation verifies: a signed policy naming the ${code(v.step)} key, then \`witness verify\` on ${a}.`,
    `Reading a record is not trusting it: the policy pins the ${code(v.step)} key by its SHA-256 ID, and verify checks ${a} against it.`,
  ]);
}

/** Why every pipeline step records git (`steps`: the step names in order). */
export function pipelineGitWhy(v: PhraseVars, steps: string[]): string {
  const last = code(steps.at(-1)!);
  return choose("pipe-git", v.seed, [
    "Every step records the git attestor, so every attestation names the same commit: that is how `witness verify` gets from the final product to all the other steps.",
    `All ${steps.length} steps run \`-a git\`; the shared commit hash ties their attestations together, and verify follows it from ${last}'s product to the rest.`,
    `Verify starts at the ${last} attestation and finds the other steps through the commit they all record, so \`-a git\` is on every \`witness run\`.`,
    `Without one commit recorded by all of ${steps.map(code).join(", ")}, verify could not link the ${v.project} build's attestations into one chain.`,
  ]);
}

/** What the pipeline policy's keys say. */
export function pipelinePolicyWhy(v: PhraseVars, steps: string[]): string {
  return choose("pipe-policy", v.seed, [
    "One `publickeys` entry per step key, and each step trusts only its own key as functionary.",
    `Each of the ${steps.length} steps names its own key's ID as its only functionary, so a key stolen from one step cannot sign another.`,
    `\`publickeys\` holds the ${steps.length} step keys; ${code(steps[0]!)} trusts only its key, and so on down the chain.`,
    `The functionary of ${code(steps.at(-1)!)} is the ${code(steps.at(-1)!)} key alone, and likewise for every step: an attestation signed by a neighbour's key is refused.`,
  ]);
}

/** What would make the pipeline's verify fail. */
export function pipelineFails(v: PhraseVars, steps: string[]): string {
  const [a, b] = [code(steps[0]!), code(steps.at(-1)!)];
  return choose("pipe-fail", v.seed, [
    "A missing step, a step signed with another step's key, or a file swapped between two steps makes it fail.",
    `Drop ${a}'s attestation, or sign ${b} with ${a}'s key, and it fails.`,
    `It would fail if a file changed between ${a} and the step that reads it.`,
    `Any step missing from \`-a\`, or a ${v.project} file edited between steps, would fail it.`,
  ]);
}

/** Why the policy family's non-compliant run must be refused. */
export function refusalWhy(v: PhraseVars): string {
  return choose("refuse", v.seed, [
    "`witness verify` must fail on it: `!` expects the failure and its log goes to `refused.log`.",
    `A policy that accepted the broken ${code(v.step)} run would prove nothing, so \`!\` requires verify to fail and \`refused.log\` keeps why.`,
    `Here verify is expected to say no: the \`!\` turns its failure into success, and stderr is kept in \`refused.log\` for the check below.`,
    `The refusal is the point of the rule; \`!\` inverts verify's exit status and \`refused.log\` holds its reasons.`,
  ]);
}

/** Why the policy family copies the project before the real run. */
export function copyWhy(v: PhraseVars, reports: boolean): string {
  const what = reports ? "the committed project and `reports/`" : "the committed project";
  return choose("copy", v.seed, [
    `Before the real run, ${what} ${reports ? "are" : "is"} copied to \`bad/\`; that copy will be made to break the requirement, and nothing else, to show the policy refusing it.`,
    `The ${code(v.step)} step will also run on a copy in \`bad/\`, changed in one way only, so a refusal can only come from the requirement.`,
    `\`bad/\` gets ${what} before anything runs: the same sources, soon broken on purpose.`,
    `A copy of ${what} goes to \`bad/\` now, while it matches the commit; only the requirement will differ there.`,
  ]);
}
