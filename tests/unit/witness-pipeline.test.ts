import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import type { WitnessConfig } from "../../src/config/witness-schema.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { pipeline, VARIANTS } from "../../src/witness/pipeline.ts";
import { applyMutation, checkpoints } from "../../src/witness/prove.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, lastCommand } from "../../src/witness/script.ts";
import { type ExampleSpec, sampleSpecs } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();

function pipelineSpecs(n: number, seed = 5, c: WitnessConfig = cfg): ExampleSpec[] {
  const families = [{ name: "pipeline" as const, weight: 1, questions: c.families.pipeline?.questions.length ?? 0 }];
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(c), families }, seed, undefined, familyShapers(c))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

const specs = pipelineSpecs(180);
const examples = specs.map((spec) => ({ spec, r: renderExample(spec, cfg, catalog) }));

type Policy = {
  publickeys: Record<string, { keyid: string; key: string }>;
  steps: Record<
    string,
    { name: string; functionaries: { publickeyid: string }[]; attestations: { type: string; regopolicies?: unknown[] }[]; artifactsFrom?: string[] }
  >;
};
const policyOf = (script: string): Policy => JSON.parse(/cat > policy\.json <<EOF\n([\s\S]*?)\nEOF\n/.exec(script)![1]!) as Policy;
const varOf = (step: string): string => step.replace(/[^A-Za-z0-9]/g, "_");

/** The links each role must have, given the roles present (independent of the implementation's table). */
function expectedLinks(roles: string[], names: string[]): Record<string, string[]> {
  const by = (r: string): string | undefined => names[roles.indexOf(r)];
  const want: Record<string, (string | undefined)[]> = {
    build: [by("lint")],
    test: [by("build")],
    package: [by("build"), by("test")],
    scan: [by("package")],
    publish: [by("package"), by("scan")],
  };
  const out: Record<string, string[]> = {};
  roles.forEach((r, i) => {
    const from = (want[r] ?? []).filter((x): x is string => Boolean(x));
    if (from.length) out[names[i]!] = from;
  });
  return out;
}

test("shaping covers every variant of 3, 4 and 5 steps, with git and without the attest chain", () => {
  expect(new Set(specs.map((s) => s.variant))).toEqual(new Set(VARIANTS));
  expect(new Set(VARIANTS.map((v) => v.split(",").length))).toEqual(new Set([3, 4, 5]));
  for (const s of specs) {
    expect(s.family).toBe("pipeline");
    expect(s.chain).toBeNull();
    expect(s.attestors).toContain("git");
    expect(s.attestors.length).toBeLessThanOrEqual(cfg.max_attestors);
  }
  expect(new Set(specs.map((s) => s.question)).size).toBe(cfg.families.pipeline!.questions.length);
});

test("shape refuses a spec that cannot take git, and keeps one that already has it", () => {
  const spec: ExampleSpec = {
    step: "build",
    command: "make",
    attestors: ["environment", "link", "slsa", "omnitrail", "lockfiles"],
    rules: [],
    keys: { step: "ed25519", policy: "ed25519" },
    question: 0,
    chain: "package",
  };
  expect(pipeline.shape({ ...spec }, 0, cfg)).toBe(false);
  expect(pipeline.shape({ ...spec }, 0, { ...cfg, excluded_attestors: [...cfg.excluded_attestors, "git"] })).toBe(false);
  const small = { ...spec, attestors: ["environment"] };
  expect(pipeline.shape(small, 7, cfg)).toBe(true);
  expect(small.attestors).toEqual(["environment", "git"]);
  expect(small.chain).toBeNull();
  expect(small.variant).toBe(VARIANTS[7 % VARIANTS.length]);
  const full = { ...spec, attestors: ["environment", "git", "link", "slsa", "omnitrail"] };
  expect(pipeline.shape(full, 0, cfg)).toBe(true);
  expect(full.attestors).toEqual(["environment", "git", "link", "slsa", "omnitrail"]);
});

test("one key per step, one policy step per step with its own functionary, and the right artifactsFrom", () => {
  for (const { spec, r } of examples) {
    const script = extractScript(r.answer);
    const checks = r.checks as { variant: string; steps: string[]; roles: string[]; links: Record<string, string[]>; subject: string };
    const names = checks.steps;
    expect(checks.variant).toBe(spec.variant!);
    expect(checks.roles.join(",")).toBe(spec.variant!);
    expect(names[checks.roles.indexOf("build")]).toBe(spec.step);
    expect(new Set(names).size).toBe(names.length);
    // Keys: one pair per step plus the policy key, generated in the first block only.
    expect([...script.matchAll(/openssl genpkey .* -out keys\/([\w-]+)\.key/g)].map((m) => m[1])).toEqual([...names, "policy"]);
    // Runs: one per step, in order, each signed with its own key and recording git.
    const runs = [...script.matchAll(/witness run -s ([\w-]+) -k \.\.\/\.\.\/keys\/([\w-]+)\.key -o \.\.\/\.\.\/att\/([\w-]+)\.json -a ([\w,-]+)/g)];
    expect(runs.map((m) => m[1])).toEqual(names);
    for (const m of runs) {
      expect(m[2]).toBe(m[1]);
      expect(m[3]).toBe(m[1]);
      expect(m[4]!.split(",")).toContain("git");
    }
    expect(script.match(/witness run /g)!.length).toBe(names.length);
    const policy = policyOf(script);
    expect(Object.keys(policy.publickeys)).toEqual(names.map((n) => `$${varOf(n)}_keyid`));
    expect(Object.keys(policy.steps)).toEqual(names);
    const links: Record<string, string[]> = {};
    for (const n of names) {
      const st = policy.steps[n]!;
      expect(st.name).toBe(n);
      expect(st.functionaries).toEqual([{ type: "publickey", publickeyid: `$${varOf(n)}_keyid` } as never]);
      expect(st.attestations.map((a) => a.type)).toContain(catalog.types.git!.type);
      if (st.artifactsFrom) links[n] = st.artifactsFrom;
      const rego = st.attestations.some((a) => a.regopolicies);
      expect(rego).toBe(n === spec.step && spec.rules.length > 0);
    }
    expect(links).toEqual(checks.links);
    expect(links).toEqual(expectedLinks(checks.roles, names));
    // Verify: every step's attestation, the last step's product as the subject.
    const verify = lastCommand(script);
    expect(verify).toBe(
      `witness verify -p policy.signed.json -k keys/policy.pub ${names.map((n) => `-a att/${n}.json`).join(" ")} -f repo/ws/${checks.subject}`,
    );
  }
});

test("each step reads what the step before it wrote", () => {
  for (const { r } of examples.slice(0, 60)) {
    const script = extractScript(r.answer);
    const runs = script.split("\n").filter((l) => l.includes("witness run "));
    const checks = r.checks as { roles: string[]; subject: string };
    const pkg = /tar -czf ([\w.-]+\.tar\.gz) /.exec(runs[checks.roles.indexOf("package")]!)?.[1];
    expect(pkg).toBeTruthy();
    if (checks.roles.includes("test")) expect(runs[checks.roles.indexOf("test")]).toContain("> test-results.txt");
    if (checks.roles.includes("scan")) expect(runs[checks.roles.indexOf("scan")]).toContain(`tar -tzf ${pkg} > scan-report.txt`);
    if (checks.roles.includes("publish")) expect(checks.subject).toBe(`release/${pkg}`);
  }
});

test("the spec's Rego mutations each hit exactly one place, and checkpoints hold as for the attest answer", () => {
  let rules = 0;
  let both = 0;
  for (const { spec, r } of examples) {
    const script = extractScript(r.answer);
    for (const m of r.mutations) {
      rules += 1;
      expect(applyMutation(script, m), `${spec.variant} ${spec.command} ${m.rule}: ${m.find}`).toBeDefined();
    }
    const names = checkpoints(r).map((p) => p.name);
    const { family: _f, variant: _v, ...attestSpec } = spec;
    const attest = checkpoints(renderExample(attestSpec, cfg, catalog)).map((p) => p.name);
    expect(names[0]).toBe("keys");
    expect(names).toEqual(attest);
    if (names.length === 2) both += 1;
  }
  expect(rules).toBeGreaterThan(60);
  expect(both).toBeGreaterThan(examples.length / 2);
});

test("questions are filled from the spec, deterministic, with no key IDs or digests; the text has no secrets", () => {
  for (const { spec, r } of examples) {
    const checks = r.checks as { steps: string[]; subject: string };
    expect(r.question).not.toMatch(/\{\w+\}/);
    expect(r.question).toContain(checks.steps.map((s) => `\`${s}\``).join(" → "));
    expect(r.question).not.toMatch(/\b[0-9a-f]{40,}\b/);
    expect(r.answer).not.toMatch(/\b[0-9a-f]{40,}\b|-----BEGIN|sha256sum|base64 -w/);
    expect(renderExample(spec, cfg, catalog)).toEqual(r);
  }
  expect(new Set(examples.map((e) => e.r.question)).size).toBe(examples.length);
});
