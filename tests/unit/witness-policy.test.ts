import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { REQUIREMENTS } from "../../src/witness/policy.ts";
import { applyMutation, checkpoints } from "../../src/witness/prove.ts";
import { fill, resolveExample } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, lastCommand } from "../../src/witness/script.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog, laidOut } from "../helpers/witness.ts";

const cfg = loadConfig(undefined).witness;
const policyOnly = [{ name: "policy" as const, weight: 1, questions: cfg.families.policy!.questions.length }];

function take(n: number, seed = 7): ExampleSpec[] {
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families: policyOnly }, seed, undefined, familyShapers(cfg))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

const specs = take(300);

test("the policy family is enabled by the embedded config, with its own templates naming the requirement", () => {
  expect(cfg.families.policy?.weight).toBe(0.15);
  const qs = cfg.families.policy!.questions;
  expect(qs.length).toBeGreaterThanOrEqual(4);
  for (const q of qs) expect(q).toContain("{requirement}");
  expect(REQUIREMENTS.length).toBeGreaterThanOrEqual(7);
  for (const r of REQUIREMENTS)
    expect(
      cfg.rego.map((x) => x.name),
      r.name,
    ).toContain(r.rule);
});

test("shaping covers every requirement over a few hundred samples, each with its rule and attestor in the spec", () => {
  expect(specs).toHaveLength(300);
  expect(new Set(specs.map((s) => s.variant))).toEqual(new Set(REQUIREMENTS.map((r) => r.name)));
  for (const s of specs) {
    const req = REQUIREMENTS.find((r) => r.name === s.variant)!;
    expect(s.family).toBe("policy");
    expect(s.chain).toBeNull();
    expect(s.rules).toContain(req.rule);
    expect(s.rules).toEqual([...s.rules].sort());
    expect(s.rules.length).toBeLessThanOrEqual(cfg.max_rules);
    const { attestors } = resolveExample(s, cfg);
    if (req.attestor) expect(attestors.map((a) => a.name)).toContain(req.attestor);
    // The sampler's group rule still holds after shaping: one attestor per group.
    const groups = attestors.map((a) => a.group).filter(Boolean);
    expect(new Set(groups).size).toBe(groups.length);
  }
});

test("the script refuses the non-compliant run exactly once, greps the rule's message, and ends with the compliant verify", () => {
  for (const s of specs.slice(0, 120)) {
    const r = renderExample(s, cfg, fixtureCatalog());
    const req = REQUIREMENTS.find((x) => x.name === s.variant)!;
    const { vars } = resolveExample(s, cfg);
    const message = fill(cfg.rego.find((x) => x.name === req.rule)!.message, vars);
    const script = extractScript(r.answer);
    const lines = script.split("\n");
    const refusals = lines.map((l, i) => [l, i] as const).filter(([l]) => /^! witness verify /.test(l));
    expect(refusals).toHaveLength(1);
    const [refusal, at] = refusals[0]!;
    expect(refusal).toContain(`-a att/${s.step}-noncompliant.json`);
    expect(refusal).toMatch(/ -f bad\/repo\/ws\/\S+ 2> refused\.log$/);
    expect(lines[at + 1]).toBe(`grep -F '${message}' refused.log`);
    // The non-compliant attestation is made by a witness run before the refusal.
    expect(script.indexOf(`-o ../../../att/${s.step}-noncompliant.json`)).toBeGreaterThan(0);
    expect(script.indexOf(`-o ../../../att/${s.step}-noncompliant.json`)).toBeLessThan(script.indexOf(refusal));
    const last = lastCommand(script);
    expect(last).toStartWith(`witness verify -p policy.signed.json -k keys/policy.pub -a att/${s.step}.json -f repo/ws/`);
    expect(script.indexOf(last)).toBeGreaterThan(script.indexOf(refusal));
    expect(r.checks).toMatchObject({ variant: req.name, rule: req.rule, refused_with: message });
    expect(r.question).not.toMatch(/\{\w+\}/);
    // Every Rego mutation still targets exactly one place in the longer script.
    for (const m of r.mutations) expect(applyMutation(script, m), `${s.variant} ${m.rule}`).toBeDefined();
  }
});

const base = "```sh\nmkdir -p keys att reports\nopenssl genpkey -algorithm ed25519 -out keys/a.key\n```\n\n";
const run = "```sh\n(cd repo/ws && witness run -s b -k ../../keys/a.key -o ../../att/b.json -- true)\n```\n\n";
const ids = "```sh\nb_keyid=$(openssl dgst -sha256 -r keys/a.pub | cut -d' ' -f1)\n```\n\n";
const tail = (refusal: string): string => `\`\`\`sh\n${refusal}witness verify -p p -k keys/policy.pub -a att/b.json -f repo/ws/x\n\`\`\`\n`;
const layout = (md: string) => laidOut(md, ["keys", "step", "keyids", "verify"]);
const names = (md: string): string[] => checkpoints(layout(md)).map((p) => p.name);

test("keyids checkpoint: a refusal that writes only refused.log and a grep of it are allowed after the key IDs", () => {
  const ok =
    "! witness verify -p p -k keys/policy.pub -a att/b-noncompliant.json -f bad/repo/ws/x 2> refused.log\ngrep -F 'the step must run on the main branch' refused.log\n";
  expect(names(`${base}${run}${ids}${tail("")}`)).toEqual(["keys", "keyids"]);
  expect(names(`${base}${run}${ids}${tail(ok)}`)).toEqual(["keys", "keyids"]);
  // Writing anywhere else, reading with anything but grep -F, or a prefix that touches refused.log: no keyids.
  expect(names(`${base}${run}${ids}${tail(ok.replace("2> refused.log", "2> att/b.json"))}`)).toEqual(["keys"]);
  expect(names(`${base}${run}${ids}${tail(ok.replace("grep -F", "grep -c"))}`)).toEqual(["keys"]);
  expect(names(`${base}${run}${ids}${tail(`${ok}grep -F 'x' refused.log > att/b.json\n`)}`)).toEqual(["keys"]);
  expect(names(`${base}${run}${ids}${tail(ok.replace("! witness verify", "! sh -c 'rm -rf att' ; witness verify"))}`)).toEqual(["keys"]);
  const touched = run.replace("-- true)", "-- true)\necho stale > refused.log");
  expect(names(`${base}${touched}${ids}${tail(ok)}`)).toEqual(["keys"]);
});

test("keyids checkpoint: its checks are the suffix's verify, refusal and grep lines, in order (a keys+policy run's tail)", () => {
  const ok = "! witness verify -p p -k keys/policy.pub -a att/b-noncompliant.json -f bad/repo/ws/x 2> refused.log\ngrep -F 'm' refused.log\n";
  const policy =
    'mkdir -p rego\ncat > policy.json <<EOF\n{ "k": "$b_keyid" }\nEOF\nwitness policy check policy.json\nwitness sign -k keys/policy.key -f policy.json -o policy.signed.json\n';
  const point = checkpoints(layout(`${base}${run}${ids}${tail(policy + ok)}`)).find((p) => p.name === "keyids")!;
  expect(point.checks).toBe(`${ok}witness verify -p p -k keys/policy.pub -a att/b.json -f repo/ws/x\n`);
});

test("keyids rewind removes refused.log with the policy files, and keeps the attestations", () => {
  const ok = "! witness verify -p p -k keys/policy.pub -a att/b-noncompliant.json -f bad/repo/ws/x 2> refused.log\ngrep -F 'm' refused.log\n";
  const point = checkpoints(layout(`${base}${run}${ids}${tail(ok)}`)).find((p) => p.name === "keyids")!;
  const work = mkdtempSync(join(tmpdir(), "sekft-policy-rewind-"));
  for (const d of ["keys", "att", "rego"]) mkdirSync(join(work, d));
  for (const f of ["refused.log", "policy.json", "policy.signed.json", "att/b.json", "att/b-noncompliant.json"]) writeFileSync(join(work, f), "x");
  point.rewind(work);
  expect(readdirSync(work).sort()).toEqual(["att", "keys"]);
  expect(readdirSync(join(work, "att")).sort()).toEqual(["b-noncompliant.json", "b.json"]);
});

test("rendered policy examples keep the keyids checkpoint when their prefix allows it", () => {
  let withIds = 0;
  for (const s of specs.slice(0, 120)) {
    const r = renderExample(s, cfg, fixtureCatalog());
    const points = checkpoints(r);
    expect(points[0]?.name).toBe("keys");
    if (points.some((p) => p.name === "keyids")) withIds += 1;
  }
  expect(withIds).toBeGreaterThan(20);
});
