import { expect, test } from "bun:test";
import { pathOutsideHome } from "../../src/witness/prepare.ts";
import { loadConfig } from "../../src/config/load.ts";
import { answerGroup, attestorId, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf } from "../helpers/witness.ts";
import { renderQuestion } from "../../src/witness/render.ts";

const cfg = loadConfig(undefined).witness;

function take(n: number, seed: number, dims = dimsOf(cfg)): ExampleSpec[] {
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs(dims, seed)) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

test("the sampler is deterministic for a seed and differs across seeds", () => {
  expect(take(50, 3)).toEqual(take(50, 3));
  expect(take(50, 3)).not.toEqual(take(50, 4));
});

test("every dimension value appears within a few hundred specs", () => {
  const specs = take(300, 1);
  const dims = dimsOf(cfg);
  const seen = (f: (s: ExampleSpec) => string[]): Set<string> => new Set(specs.flatMap(f));
  expect(seen((s) => [s.command])).toEqual(new Set(dims.commands.map((c) => c.name)));
  expect(seen((s) => [s.step])).toEqual(new Set(dims.steps));
  expect(seen((s) => [String(s.question)])).toEqual(new Set(dims.questions.map((_, i) => String(i))));
  expect(seen((s) => s.attestors)).toEqual(new Set(dims.attestors.map(attestorId)));
  expect(seen((s) => s.rules)).toEqual(new Set(dims.rego.map((r) => r.name)));
  expect(seen((s) => [s.keys.step, s.keys.policy])).toEqual(new Set(dims.keyTypes));
  const sizes = specs.map((s) => s.attestors.length);
  expect(Math.min(...sizes)).toBeLessThanOrEqual(2);
  expect(Math.max(...sizes)).toBe(cfg.max_attestors);
});

test("specs are unique and identical answers carry at most paraphrases_per_answer questions", () => {
  const dims = {
    ...dimsOf(cfg),
    commands: dimsOf(cfg).commands.slice(0, 1),
    steps: ["build"],
    attestors: dimsOf(cfg).attestors.slice(0, 2),
    rego: [],
    keyTypes: ["ed25519" as const],
    paraphrases: 2,
  };
  const specs = take(500, 1, dims);
  const ids = specs.map((s) => JSON.stringify(s));
  expect(new Set(ids).size).toBe(ids.length);
  const groups = new Map<string, number>();
  for (const s of specs) groups.set(answerGroup(s), (groups.get(answerGroup(s)) ?? 0) + 1);
  expect(Math.max(...groups.values())).toBeLessThanOrEqual(2);
  expect(specs.length).toBeLessThan(500); // the space ran out and the sampler stopped
});

test("attestors of one group never share an example; rules only with their attestor", () => {
  const byName = new Map(cfg.attestors.map((a) => [attestorId(a), a]));
  for (const s of take(300, 5)) {
    const groups = s.attestors.map((a) => byName.get(a)!.group).filter(Boolean);
    expect(new Set(groups).size).toBe(groups.length);
    for (const r of s.rules) {
      const rule = cfg.rego.find((x) => x.name === r)!;
      if (!["material", "product", "command-run"].includes(rule.attestor)) expect(s.attestors.map((a) => byName.get(a)!.name)).toContain(rule.attestor);
    }
  }
});

test("with question rendering, no question text stands for two different answers", () => {
  const seen = new Map<string, string>();
  let n = 0;
  for (const { spec } of sampleSpecs(dimsOf(cfg), 2, (s) => renderQuestion(s, cfg))) {
    const q = renderQuestion(spec, cfg);
    const g = answerGroup(spec);
    expect(seen.get(q) ?? g).toBe(g);
    seen.set(q, g);
    if (++n >= 400) break;
  }
  expect(n).toBe(400);
});

test("scripts see PATH without the entries under HOME, which sekft verify hides", () => {
  expect(pathOutsideHome("/root/.cargo/bin:/usr/bin:/root:/rootless/bin:/bin", "/root/")).toBe("/usr/bin:/rootless/bin:/bin");
  expect(pathOutsideHome("/home/u/bin:/usr/bin", "/")).toBe("/home/u/bin:/usr/bin");
  expect(pathOutsideHome("/home/u/bin:/usr/bin", undefined)).toBe("/home/u/bin:/usr/bin");
});
