/**
 * What the answers' prose says about witness's own behaviour, as checked statements: the render code takes these
 * sentences from here (never a free-standing string), and `tests/e2e/witness-claims.test.ts` runs each one against
 * the real binary. A sentence that claims more than its test shows is a bug; change the claim, not the test.
 * What a run shows itself (troubleshoot's broken run, a refused verify's log) needs no entry.
 */
export interface Claim {
  id: ClaimId;
  /** The sentences, in Markdown, as the answers print them: each a dozen words or fewer, so answers may share them. */
  text: string;
  /** What the test runs to show it: the behaviour, for a reader of this file. */
  shownBy: string;
}

export type ClaimId = "policy-check" | "keyid-sha256-pem" | "verify-success" | "rego-v1" | "staged-product";

export const CLAIMS: readonly Claim[] = [
  {
    id: "policy-check",
    text: "`policy check` catches bad JSON, a past `expires`, non-PEM keys, broken Rego. A wrong key ID passes it and fails only at verify.",
    shownBy:
      "policy check exits non-zero for each of the four faults, and exits 0 for a policy whose functionary key ID names no public key and whose publickeys entry's keyid is not its key's digest",
  },
  {
    id: "keyid-sha256-pem",
    text: "A witness key ID is the SHA-256 of the PEM public key.",
    shownBy:
      "verify succeeds with the key ID `openssl dgst -sha256` of the PEM file, and fails with `expected key id` when the policy carries the digest of the DER bytes instead",
  },
  {
    id: "verify-success",
    text: "It prints `Verification succeeded` and exits 0.",
    shownBy: "a passing verify exits 0 and its log holds `Verification succeeded`",
  },
  {
    id: "rego-v1",
    text: "With `import rego.v1`, both `witness verify` and `policy check` accept them.",
    shownBy: "a module with the import passes both; without it, `deny contains msg if` fails verify and the older `deny[msg] {` form fails policy check",
  },
  {
    id: "staged-product",
    text: "An attestor attaches any product of its format, whoever wrote it.",
    shownBy: "`witness run -a sbom` over a command that only copies a hand-written SPDX file attaches it as an `https://spdx.dev/Document` attestation",
  },
];

/** A checked statement's sentence, by id. */
export function claim(id: ClaimId): string {
  const c = CLAIMS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown witness claim ${id}`);
  return c.text;
}
