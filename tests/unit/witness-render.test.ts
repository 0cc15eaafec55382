import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { applyMutation } from "../../src/witness/prove.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, lastCommand } from "../../src/witness/script.ts";
import { sampleSpecs } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();
const examples = [
  ...(function* () {
    let n = 0;
    for (const { spec } of sampleSpecs(dimsOf(cfg), 11)) {
      yield { spec, r: renderExample(spec, cfg, catalog) };
      if (++n >= 150) return;
    }
  })(),
];

test("the attestor table of the pinned binary parses", () => {
  expect(catalog.types.git!.type).toBe("https://witness.dev/attestations/git/v0.1");
  expect(catalog.types.material!.alwaysRun).toBe(true);
  expect(Object.keys(catalog.types).length).toBeGreaterThanOrEqual(25);
});

test("every script ends with witness verify and uses only portable commands", () => {
  for (const { r } of examples) {
    const script = extractScript(r.answer);
    expect(lastCommand(script)).toMatch(/^witness verify -p policy\.signed\.json -k keys\/policy\.pub /);
    expect(script).not.toMatch(/base64 -w|sha256sum|date -d|\.witness\.yaml/);
    expect(script).toContain("openssl dgst -sha256 -r");
  }
});

test("no literal key IDs, PEM blocks or digests in the text", () => {
  for (const { r } of examples) {
    expect(r.answer).not.toMatch(/\b[0-9a-f]{40,}\b/);
    expect(r.answer).not.toMatch(/-----BEGIN/);
  }
});

test("the step key and the policy key are different files; the policy expires far ahead", () => {
  for (const { spec, r } of examples) {
    const script = extractScript(r.answer);
    expect(script).toContain(`-k ../../keys/${spec.step}.key`);
    expect(script).toContain("witness sign -k keys/policy.key");
    expect(script).toContain(`"expires": "${cfg.policy_expires}"`);
  }
});

// Only questions that name Rego rules get some: the rule-bearing examples of a longer run.
const ruled = [
  ...(function* () {
    let n = 0;
    for (const { spec } of sampleSpecs(dimsOf(cfg), 11)) {
      if (spec.rules.length) yield { spec, r: renderExample(spec, cfg, catalog) };
      if (++n >= 600) return;
    }
  })(),
];

test("Rego is v1 and every mutation targets exactly one place in its script", () => {
  let rules = 0;
  for (const { r } of ruled) {
    const script = extractScript(r.answer);
    for (const m of r.mutations) {
      rules += 1;
      const mutated = applyMutation(script, m);
      expect(mutated, `${m.rule}: ${m.find}`).toBeDefined();
      expect(mutated).not.toBe(script);
    }
    for (const mod of script.matchAll(/cat > rego\/[\w.-]+ <<'EOF'\n([\s\S]*?)\nEOF/g)) {
      expect(mod[1]).toContain("import rego.v1");
      expect(mod[1]).toContain("deny contains msg if");
    }
  }
  expect(rules).toBeGreaterThan(50);
});

test("extractScript takes only sh blocks, in order", () => {
  const md = "text\n```sh\necho a\n```\n```json\n{}\n```\nmore\n```sh\necho b\n```\n";
  expect(extractScript(md)).toBe("echo a\necho b\n");
});
