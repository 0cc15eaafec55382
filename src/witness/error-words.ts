/**
 * How a troubleshoot answer reads the error before it names the cause: per failure class (`classify` in
 * `script.ts`), the words of witness's own message that point at the cause and why they do. `words` are what the
 * quoted error holds (any one of them, case-insensitive); the broken run must end in that class, and
 * `tests/e2e/witness-troubleshoot.test.ts` checks each cause's real quoted error for them.
 */
export interface ErrorReading {
  /** The error holds at least one of these (case-insensitive). */
  words: string[];
  /** The explanation: quotes those words and says why they point where they do. */
  text: (step: string) => string;
}

const code = (s: string): string => `\`${s}\``;

export const READINGS: Record<string, ErrorReading> = {
  "keyid-mismatch": {
    words: ["expected key id"],
    text: () =>
      "`expected key id` … `but got` means the key ID the policy declares is not the ID witness computes from the key it holds: " +
      "the policy's functionary ID and the key that signed no longer agree, so look at how the script computes the ID.",
  },
  "bad-policy-signature": {
    words: ["failed to verify policy signature"],
    text: () =>
      "`failed to verify policy signature` is about the policy file, not the attestations: it is the `-p` envelope's signature, checked with the `-k` key, " +
      "that fails, and no step is named. So the fault is in how the policy was signed, or in which file and key are passed to verify.",
  },
  "expired-policy": {
    words: ["policy validation failed", "expired"],
    text: () =>
      "`Policy validation failed` means the policy file itself is refused, before any key, signature or step is involved: " +
      "the fault is in what `policy.json` says, not in the runs or the keys.",
  },
  "no-matching-attestation": {
    words: ["no passed collections", "is not a collection"],
    text: (step) =>
      `No key, signature or expiry is named. The error says that no attestation passed for the ${code(step)} step ` +
      "(`no passed collections`, or a collection whose predicate type `is not a collection` type): witness found nothing that matches " +
      "what the policy asks for, by step name, required attestation types or the file's digest among the products.",
  },
  "untrusted-signer": {
    words: ["no verifiers present to validate against collection verifiers"],
    text: (step) =>
      `\`collection rejected\` with \`no verifiers present to validate against collection verifiers\` means the ${code(step)} attestation was found, ` +
      "but none of the policy's keys verifies its signature: the signer is the problem, not the content.",
  },
  "rego-deny": {
    words: ["policy was denied due to"],
    text: (step) =>
      `\`policy was denied due to:\` is followed by the message of a Rego rule of the ${code(step)} step: a rule read a value in the attestation ` +
      "and refused it, and the message says which rule and why.",
  },
  "verify-failed": {
    words: ["verification failed"],
    text: () =>
      "The error says only that `verification failed`, with no key, signature, expiry or Rego message. " +
      "It does not complain about one attestation, which points at what connects them: how the policy links the steps.",
  },
};

/** The reading of a failure class; every class a troubleshoot cause expects has one. */
export function readingOf(expect: string): ErrorReading {
  const r = READINGS[expect];
  if (!r) throw new Error(`no error reading for failure class ${expect}`);
  return r;
}
