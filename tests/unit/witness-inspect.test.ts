import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { inspect, VARIANTS, variantFits, variantOf } from "../../src/witness/inspect.ts";
import { applyMutation, checkpoints } from "../../src/witness/prove.ts";
import { renderAttest } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript } from "../../src/witness/script.ts";
import { statedPrerequisites } from "../../src/witness/sections.ts";
import { familyOf, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();

function take(n: number, seed = 7): ExampleSpec[] {
  const families = [
    { name: "attest" as const, weight: cfg.families.attest.weight, questions: cfg.questions.length },
    { name: "inspect" as const, weight: cfg.families.inspect!.weight, questions: cfg.families.inspect!.questions.length },
  ];
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, seed, undefined, familyShapers(cfg))) {
    if (familyOf(spec) === "inspect") out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

const specs = take(300);
const rendered = specs.map((spec) => ({ spec, ex: renderExample(spec, cfg, catalog) }));

test("the config enables inspect with at least four templates, and there are at least eight variants", () => {
  expect(cfg.families.inspect?.weight).toBe(0.2);
  expect(cfg.families.inspect!.questions.length).toBeGreaterThanOrEqual(4);
  expect(new Set(VARIANTS.map((v) => v.name)).size).toBe(VARIANTS.length);
  expect(VARIANTS.length).toBeGreaterThanOrEqual(8);
});

test("shaped specs cover every variant, each fitting its spec", () => {
  expect(new Set(specs.map((s) => s.variant))).toEqual(new Set(VARIANTS.map((v) => v.name)));
  for (const s of specs) expect(variantFits(variantOf(s.variant!), s, cfg), `${s.variant} on ${s.attestors}`).toBe(true);
  // Round-robin keeps the spread even enough that no variant is starved.
  const counts = VARIANTS.map((v) => specs.filter((s) => s.variant === v.name).length);
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
});

test("a variant whose attestor did not run does not fit, and shape skips a spec no variant fits", () => {
  const s = specs.find((x) => !x.attestors.includes("git"))!;
  expect(variantFits(variantOf("git-commit"), s, cfg)).toBe(false);
  const noEnv = specs.find((x) => !x.attestors.includes("environment"))!;
  expect(variantFits(variantOf("env-var"), noEnv, cfg)).toBe(false);
  // A Rego mutation that rewrites the command would make the argv assertion fail in its mutant.
  const withProgramRule = { ...specs[0]!, rules: ["command-program"] };
  expect(variantFits(variantOf("command-argv"), withProgramRule, cfg)).toBe(false);
  expect(variantFits(variantOf("exit-code"), withProgramRule, cfg)).toBe(true);
  const spec: ExampleSpec = { ...specs[0]!, attestors: [] };
  expect(inspect.shape(spec, 0, { ...cfg, families: { ...cfg.families, inspect: { weight: 1, questions: ["{what}"] } } })).toBe(true);
});

test("the inspect block sits after the last witness run and before the key IDs, and both checkpoints hold", () => {
  let both = 0;
  for (const { spec, ex } of rendered) {
    const md = ex.answer;
    const block = md.indexOf("**Inspect the attestation.**");
    expect(block, spec.variant).toBeGreaterThan(md.lastIndexOf("(cd repo/ws && witness run -s"));
    // The policy and verify that prove the answer follow in one block under one sentence.
    const proof = md.indexOf("**Verify.**");
    expect(block).toBeLessThan(proof);
    expect(md.slice(proof).match(/```sh/g)?.length).toBe(1);
    expect(md.slice(proof)).toContain("_keyid=$(openssl dgst");
    const script = extractScript(md);
    const at = script.indexOf('test "$(jq ');
    expect(at).toBeGreaterThan(script.lastIndexOf("witness run -s"));
    expect(at).toBeLessThan(script.indexOf("_keyid=$(openssl dgst"));
    // The inspect block keeps every checkpoint the attest answer of the same spec has (keys, and keyids after it).
    const points = checkpoints(ex);
    expect(points.map((p) => p.name)).toEqual(checkpoints(renderAttest(spec, cfg, catalog)).map((p) => p.name));
    expect(points[0]?.name).toBe("keys");
    if (points.length === 2) {
      both += 1;
      expect(points[1]!.offset).toBeGreaterThan(at);
    }
    // Mutants that start before the inspect block run it: the assertion must hold there too, so their edits
    // never touch the text the shown value comes from (and each still applies exactly once).
    for (const m of ex.mutations) {
      const mutated = applyMutation(script, m);
      expect(mutated, `${spec.variant}: ${m.rule}`).toBeDefined();
      const testLine = script.slice(at, script.indexOf("\n", at));
      expect(mutated!).toContain(testLine);
    }
  }
  expect(both).toBeGreaterThan(rendered.length / 2);
});

test("the answer opens by naming jq, states the value it asserts, and records it in checks", () => {
  for (const { spec, ex } of rendered) {
    expect(ex.answer).toStartWith("You need `witness`, `openssl`");
    expect(statedPrerequisites(ex.answer)[0]).toContain("jq");
    const checks = ex.checks as { variant: string; attestor: string; jq: string; command: string; value: string; computed: boolean };
    expect(checks.variant).toBe(spec.variant!);
    const script = extractScript(ex.answer);
    expect(script).toContain(checks.command);
    expect(script).toContain(`jq -r .payload att/${spec.step}.json | openssl base64 -d -A > statement.json`);
    const testLine = script.split("\n").find((l) => l.startsWith('test "$(jq '))!;
    if (checks.computed) {
      expect(testLine).toEndWith(` = "${checks.value}"`);
    } else {
      expect(testLine).toEndWith(` = '${checks.value}'`);
      // The prose states the literal too, outside the sh blocks.
      const prose = ex.answer.replace(/```sh\n[\s\S]*?```/g, "");
      expect(prose).toContain(`\`${checks.value}\``);
    }
  }
});

test("texts are deterministic and hold no digests or key IDs; questions differ per variant", () => {
  for (const { spec, ex } of rendered) {
    for (const text of [ex.question, ex.answer]) expect(text).not.toMatch(/\b[0-9a-f]{40,}\b/);
    expect(renderExample(spec, cfg, catalog)).toEqual(ex);
    expect(ex.question).not.toMatch(/\{\w+\}/);
  }
  // One question text never stands for two variants: {what} and {where} make them differ.
  const variantsOf = new Map<string, Set<string>>();
  for (const { spec, ex } of rendered) variantsOf.set(ex.question, (variantsOf.get(ex.question) ?? new Set()).add(spec.variant!));
  for (const [q, vs] of variantsOf) expect(vs.size, q).toBe(1);
  expect(variantsOf.size).toBeGreaterThan(100);
});

test("env-var exports its variable before witness run, and only then", () => {
  for (const { spec, ex } of rendered) {
    const script = extractScript(ex.answer);
    const exported = script.includes("export RELEASE_CHANNEL=stable\n(cd repo/ws && witness run");
    expect(exported, spec.variant).toBe(spec.variant === "env-var");
  }
});
