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
    `${who} ${v.stepKey} key; the policy gets a separate ${v.policyKey} key, so a build machine that holds a step key still cannot rewrite the rules.`,
    `${who} ${v.stepKey} key. The policy is signed by a different, ${v.policyKey} key: verify trusts the policy only through that key, and no step holds it.`,
    `${who} ${v.stepKey} key, and a ${v.policyKey} key signs the policy. Splitting them means leaking a step key lets someone attest, not change what verification demands.`,
    `${who} ${v.stepKey} key. A second key pair (${v.policyKey}) is kept for the policy alone, which is what \`witness verify -k\` checks the policy signature against.`,
  ]);
}

/** Why the repository is committed before the step runs. */
export function gitWhy(v: PhraseVars): string {
  return choose("git", v.seed, [
    `The git attestor records the commit ${code(v.step)} ran on, so the ${v.project} sources are committed first, with the repository's own identity rather than your global git config.`,
    `Without a commit there is nothing for the git attestor to record; one commit of the ${v.project} sources, by a local identity, gives ${code(v.step)} a commit hash.`,
    `\`-a git\` records the commit, branch and tree status of the repository it runs in. A single release commit of ${code(v.dir)} is enough, made with a repository-local name and e-mail.`,
    `The ${code(v.step)} attestation will carry the commit hash of this repository, so the project is committed before the step runs (an uncommitted tree has no commit to record).`,
  ]);
}

/** Why the CI variables are exported. */
export function ciWhy(v: PhraseVars): string {
  return choose("ci", v.seed, [
    "The exported variables stand in for the CI system: the CI attestor reads them at run time (their values are made up here).",
    `The CI attestor records what the CI environment tells it; outside CI the ${code(v.step)} run sees these exported, mocked values.`,
    "These exports imitate the CI runner's environment; the attestor copies them into the attestation.",
    "A CI attestor has nothing to record outside CI, so the script exports the variables a runner would set, with example values.",
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
  ]);
}
