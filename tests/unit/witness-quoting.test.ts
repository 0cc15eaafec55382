import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers, renderExample } from "../../src/witness/families.ts";
import { CLAIMS, claim } from "../../src/witness/claims.ts";
import { ERROR_MARK } from "../../src/witness/render.ts";
import { FAMILIES, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { maskDigests, PLACEHOLDER, VARIES } from "../../src/witness/troubleshoot.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const A = "4f1c2a9b0e3d".padEnd(64, "7");
const B = "9be07a1c55d2".padEnd(64, "3");

// Lines witness v0.11.0 printed in real broken runs (troubleshoot causes), digests as printed.
const PRINTED = [
  `failed to verify policy: attestors failed with error messages attestor policyverify failed: failed to get public keys from policy: public key in policy has expected key id ${A} but got ${B}`,
  `failed to verify policy: attestors failed with error messages attestor policyverify failed: failed to verify policy: verifiers failed: keyids:   ${A}: verification failed`,
  "policy expired",
];

test("a quoted error keeps the real text and masks only what varies between runs, saying so", () => {
  const [mismatch, signature, expired] = PRINTED.map(maskDigests);
  // Two different key IDs stay two different values: the error's point survives the mask.
  expect(mismatch).toEndWith(`expected key id [digest 1, ${VARIES}] but got [digest 2, ${VARIES}]`);
  expect(signature).toContain(`keyids:   [digest, ${VARIES}]: verification failed`);
  expect(expired).toBe("policy expired");
  expect(maskDigests(`open /tmp/sekft-4411/run/att/build.json: no such file`)).toBe(`open [temp dir, ${VARIES}]: no such file`);
  for (const l of PRINTED.map(maskDigests)) expect(l).not.toMatch(/[0-9a-f]{40}/);
  // Line by line: a quoted line is the mask of one printed line.
  expect(maskDigests(PRINTED.join("\n"))).toBe(PRINTED.map(maskDigests).join("\n"));
});

test("the placeholder check catches what the old quoting wrote", () => {
  expect(`has expected key id <digest> but got <digest>`).toMatch(PLACEHOLDER);
  expect("run `witness run -s {{step}}`").toMatch(PLACEHOLDER);
  expect(maskDigests(PRINTED[0]!)).not.toMatch(PLACEHOLDER);
});

test("no question or answer of any family carries a placeholder", () => {
  const families = FAMILIES.map((name) => ({
    name,
    weight: 1,
    questions: name === "attest" ? cfg.questions.length : (cfg.families[name]?.questions.length ?? 0),
  }));
  const seen = new Set<string>();
  let n = 0;
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 21, undefined, familyShapers(cfg))) {
    const ex = renderExample(spec as ExampleSpec, cfg, fixtureCatalog());
    // The troubleshoot question's error comes from its broken run, masked as above.
    const question = ex.question.replace(ERROR_MARK, () => maskDigests(PRINTED[n % PRINTED.length]!));
    for (const text of [question, ex.answer]) expect(text.match(PLACEHOLDER)?.[0] ?? null, spec.family ?? "attest").toBeNull();
    seen.add(spec.family ?? "attest");
    if (++n >= 150) break;
  }
  expect(seen.size).toBe(FAMILIES.length);
});

test("attest answers take what they say about witness from the checked claims, and the false policy-check claim is gone", () => {
  const dims = dimsOf(cfg);
  let n = 0;
  for (const { spec } of sampleSpecs(dims, 8)) {
    const { answer } = renderExample(spec, cfg, fixtureCatalog());
    expect(answer).not.toContain("(JSON, expiry, key IDs, Rego syntax)");
    for (const id of ["policy-check", "keyid-sha256-pem", "verify-success"] as const) expect(answer).toContain(claim(id));
    if (spec.rules.length) expect(answer).toContain(claim("rego-v1"));
    if (/\*\*Staged inputs?\.\*\*|\*\*Inputs? for the attestors\.\*\*/.test(answer)) expect(answer).toContain(claim("staged-product"));
    if (++n >= 60) break;
  }
});

test("each claim's sentences are a dozen words or fewer, so answers can share them without teaching by rote", () => {
  for (const c of CLAIMS) for (const s of c.text.split(/(?<=\.)\s+/)) expect(s.split(/\s+/).length, `${c.id}: ${s}`).toBeLessThanOrEqual(12);
});
