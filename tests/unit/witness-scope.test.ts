import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { familyPlugin, familyShapers, renderExample } from "../../src/witness/families.ts";
import { inspectContext, variantOf } from "../../src/witness/inspect.ts";
import { requirementOf } from "../../src/witness/policy.ts";
import { extractScript } from "../../src/witness/script.ts";
import { bareAttestor, isMinimal } from "../../src/witness/scope.ts";
import { attestorId, FAMILIES, familyOf, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

// The question's words bind the answer's scope (issue 21, item 2): checked on a few hundred rendered specs of the
// default config, every family mixed as `gen` mixes them, without running anything.
const cfg = loadConfig(undefined).witness;
const catalog = fixtureCatalog();
const families = FAMILIES.map((name) => ({
  name,
  weight: cfg.families[name]?.weight ?? 0,
  questions: name === "attest" ? cfg.questions.length : (familyPlugin(name)?.questions(cfg).length ?? 0),
}));

function take(n: number, seed: number, fams = families): ExampleSpec[] {
  const out: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families: fams }, seed, undefined, familyShapers(cfg))) {
    out.push(spec);
    if (out.length >= n) break;
  }
  return out;
}

const mixed = [...take(400, 1), ...take(400, 2)];
const byFamily = (f: string): ExampleSpec[] => mixed.filter((s) => familyOf(s) === f);
const runs = (script: string): string[] => script.split("\n").filter((l) => /witness run /.test(l));
/** The attestors a `witness run` line adds with `-a`. */
const added = (line: string): string[] => (/ -a ([\w,-]+)/.exec(line)?.[1] ?? "").split(",").filter(Boolean);

test("the embedded config marks minimal templates, and the sampler meets them", () => {
  const minimal = cfg.questions.filter((q) => isMinimal(q, cfg.minimal_words));
  expect(minimal.length).toBeGreaterThanOrEqual(2);
  expect(isMinimal("Give me the simplest policy", ["simplest"])).toBe(true);
  expect(isMinimal("a minimalist setup", ["minimal"])).toBe(false);
  expect(byFamily("attest").filter((s) => isMinimal(cfg.questions[s.question]!, cfg.minimal_words)).length).toBeGreaterThanOrEqual(20);
});

test("a minimal question gets one step, min_attestors attestors (the ones it names) and no rules it does not name", () => {
  let n = 0;
  for (const spec of byFamily("attest")) {
    const template = cfg.questions[spec.question]!;
    if (!isMinimal(template, cfg.minimal_words)) continue;
    n += 1;
    expect(spec.chain).toBeNull();
    expect(spec.attestors.length).toBeLessThanOrEqual(Math.max(cfg.min_attestors, template.includes("{rules}") ? 2 : 1));
    if (!template.includes("{rules}")) expect(spec.rules).toEqual([]);
    const ex = renderExample(spec, cfg, catalog);
    const script = extractScript(ex.answer);
    expect(runs(script)).toHaveLength(1);
    const names = [...new Set(spec.attestors.map((id) => cfg.attestors.find((a) => attestorId(a) === id)!.name))];
    expect(added(runs(script)[0]!).sort()).toEqual(names.sort());
    for (const name of names) expect(ex.question).toContain(`\`${name}\``);
    expect(script).not.toContain("cat > rego/");
  }
  expect(n).toBeGreaterThanOrEqual(20);
});

test("an attest question gets Rego rules exactly when it names {rules}", () => {
  const attest = byFamily("attest");
  for (const spec of attest) expect(spec.rules.length > 0, cfg.questions[spec.question]).toBe(cfg.questions[spec.question]!.includes("{rules}"));
  expect(attest.some((s) => s.rules.length > 0)).toBe(true);
});

test("an inspect answer builds one step with one attestor, the one it inspects or the one -a needs, and no rules", () => {
  const specs = byFamily("inspect");
  expect(specs.length).toBeGreaterThanOrEqual(100);
  const kinds = new Set<string>();
  for (const spec of specs) {
    expect(spec.chain).toBeNull();
    expect(spec.rules).toEqual([]);
    expect(spec.attestors).toHaveLength(1);
    const inspected = variantOf(spec.variant!).attestor(inspectContext(spec, cfg));
    const own = cfg.attestors.find((a) => attestorId(a) === spec.attestors[0])!.name;
    if (["statement", "envelope", "command-run", "product", "material"].includes(inspected)) expect(spec.attestors[0]).toBe(bareAttestor(spec.attestors, cfg)!);
    else expect(own).toBe(inspected);
    kinds.add(inspected);
    const script = extractScript(renderExample(spec, cfg, catalog).answer);
    expect(runs(script)).toHaveLength(1);
    expect(added(runs(script)[0]!)).toEqual([own]);
    expect(script).not.toContain("cat > rego/");
  }
  expect(kinds.size).toBeGreaterThanOrEqual(6);
});

test("a policy answer tests its requirement and nothing else: its rule alone, its attestor alone", () => {
  const specs = byFamily("policy");
  expect(specs.length).toBeGreaterThanOrEqual(80);
  for (const spec of specs) {
    const req = requirementOf(spec.variant!);
    expect(spec.rules).toEqual([req.rule]);
    expect(spec.chain).toBeNull();
    expect(spec.attestors).toHaveLength(1);
    const name = cfg.attestors.find((a) => attestorId(a) === spec.attestors[0])!.name;
    if (req.attestor === null) expect(spec.attestors[0]).toBe(bareAttestor(spec.attestors, cfg)!);
    else expect(name).toBe(req.attestor);
    const script = extractScript(renderExample(spec, cfg, catalog).answer);
    for (const line of runs(script)) expect(added(line)).toEqual([name]);
  }
});

test("every step runs a command the step_commands table allows it, in every family", () => {
  const pairs = new Set<string>();
  for (const spec of mixed) {
    expect(cfg.step_commands[spec.step], `${spec.step} runs ${spec.command}`).toContain(spec.command);
    pairs.add(`${spec.step}:${spec.command}`);
  }
  // The pipeline's build step is the spec's command: it is a build.
  for (const spec of byFamily("pipeline")) expect(cfg.commands.find((c) => c.name === spec.command)!.kind).toBe("build");
  expect(pairs.size).toBeGreaterThanOrEqual(40);
  // The table is not a formality: the default lint step never runs a compiler, nor a docs step a C build.
  expect(cfg.step_commands.lint).not.toContain("go-build");
  expect(cfg.step_commands.docs).not.toContain("cc");
  expect(cfg.step_commands.test).not.toContain("node-build");
});

test("a config whose step_commands leaves a command or a step without a partner is refused, naming the key", () => {
  const without = Object.fromEntries(
    Object.entries(cfg.step_commands)
      .map(([s, cs]) => [s, cs.filter((c) => c !== "go-vet")])
      .filter(([, cs]) => cs!.length),
  );
  expect(() => loadConfig(undefined, { witness: { step_commands: { ...without, lint: ["go-build"] } } })).toThrow(
    /witness\.step_commands: command "go-vet" is listed under no step/,
  );
  expect(() => loadConfig(undefined, { witness: { steps: ["build", "publish"] } })).toThrow(/witness\.step_commands: step "publish" has no entry/);
  expect(loadConfig(undefined, { witness: { step_commands: { lint: ["go-vet"] } } }).witness.step_commands.lint).toEqual(["go-vet"]);
});
