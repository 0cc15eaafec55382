// needs: witness
import { describe, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { REQUIREMENTS, violationOf } from "../../src/witness/policy.ts";
import { applyMutation, proveExample } from "../../src/witness/prove.ts";
import type { RenderedExample } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, runScript, scriptPath, type ScriptEnv } from "../../src/witness/script.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const cfg = loadConfig(undefined).witness;
// Quick commands only (the lockfile requirement needs a project with one: node-greet).
const FAST = new Set(["node-build", "cc", "make", "tarball", "checksums", "sh-build"]);

/** The first policy spec of each requirement, from a sampler over quick commands. */
function onePerRequirement(): ExampleSpec[] {
  const dims = {
    ...dimsOf(cfg),
    commands: cfg.commands.filter((c) => FAST.has(c.name)),
    families: [{ name: "policy" as const, weight: 1, questions: cfg.families.policy!.questions.length }],
  };
  const byVariant = new Map<string, ExampleSpec>();
  for (const { spec } of sampleSpecs(dims, 11, undefined, familyShapers(cfg))) {
    if (!byVariant.has(spec.variant!)) byVariant.set(spec.variant!, spec);
    if (byVariant.size === REQUIREMENTS.length) break;
  }
  return REQUIREMENTS.map((r) => byVariant.get(r.name)!).filter(Boolean);
}

/** The same answer with the copy left compliant: the violation's lines, prefix, command and subject undone. */
function withoutViolation(ex: RenderedExample, spec: ExampleSpec): string {
  const { violation: v, compliant: c } = violationOf(spec, cfg);
  let text = ex.answer;
  const edit = (from: string, to: string): void => {
    expect(text.includes(from), from).toBe(true);
    text = text.replace(from, () => to);
  };
  for (const line of v.before) edit(`${line}\n`, "");
  if (v.envPrefix) edit(`${v.envPrefix}witness run`, "witness run");
  if (v.command !== c.wrapped) edit(`-- \\\n  ${v.command})`, `-- \\\n  ${c.wrapped})`);
  if (v.subject !== c.artifact) edit(`-f bad/repo/ws/${v.subject} 2>`, `-f bad/repo/ws/${c.artifact} 2>`);
  return extractScript(text);
}

describe("policy family (real witness)", () => {
  const env = (): ScriptEnv => ({ path: scriptPath(WITNESS ?? "witness", process.env.PATH ?? ""), timeoutMs: 120_000 });
  const specs = onePerRequirement();
  const rendered = specs.map((s) => renderExample(s, cfg, fixtureCatalog()));

  testWith(
    Boolean(WITNESS),
    "one example per requirement is proven: the non-compliant run is refused with its rule's message, every Rego rule denies on its mutation",
    async () => {
      expect(specs.map((s) => s.variant)).toEqual(REQUIREMENTS.map((r) => r.name));
      for (const [i, ex] of rendered.entries()) {
        const t = performance.now();
        const proof = await proveExample(ex, env());
        expect(proof.ok, `${specs[i]!.variant}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
        if (!proof.ok) continue;
        expect(proof.mutations.map((m) => m.rule).sort()).toEqual([...specs[i]!.rules].sort());
        expect(proof.mutations.every((m) => m.denied)).toBe(true);
        // The requirement's rule is shown by the script's own refused run; no mutant re-runs the steps for it.
        const own = proof.mutations.filter((m) => m.from === "script").map((m) => m.rule);
        expect(own).toEqual([ex.checks!.rule as string]);
        console.log(
          `policy ${specs[i]!.variant} (${specs[i]!.command}): proven in ${Math.round(performance.now() - t)} ms ` +
            `(run ${proof.runMs} ms, ${proof.mutations.length} mutants from ${proof.mutations.map((m) => m.from).join(",")})`,
        );
      }
    },
    240_000,
  );

  testWith(
    Boolean(WITNESS),
    "the rules added for the family (git-branch-main, sbom-license) deny on their mutation in attest examples too",
    async () => {
      const dims = { ...dimsOf(cfg), commands: cfg.commands.filter((c) => FAST.has(c.name)) };
      for (const rule of ["git-branch-main", "sbom-license"]) {
        let spec: ExampleSpec | undefined;
        for (const { spec: s } of sampleSpecs(dims, 5)) {
          if (s.rules.includes(rule)) {
            spec = s;
            break;
          }
        }
        expect(spec, rule).toBeDefined();
        const proof = await proveExample(renderExample(spec!, cfg, fixtureCatalog()), env());
        expect(proof.ok, proof.ok ? rule : `${rule}: ${proof.reason}\n${proof.stderrTail}`).toBe(true);
        if (proof.ok) expect(proof.mutations.find((m) => m.rule === rule)?.denied).toBe(true);
      }
    },
    240_000,
  );

  testWith(
    Boolean(WITNESS),
    "a mutant run from keys with the kept run's signed policy is refused like the whole mutated script run from an empty directory",
    async () => {
      // A policy example's only rule is its requirement's, proven by its own refused run: the mutants run from keys
      // are those of attest examples that name several rules.
      const dims = { ...dimsOf(cfg), commands: cfg.commands.filter((c) => FAST.has(c.name)) };
      const ruled: RenderedExample[] = [];
      for (const { spec } of sampleSpecs(dims, 5)) {
        if (spec.rules.length >= 2) ruled.push(renderExample(spec, cfg, fixtureCatalog()));
        if (ruled.length >= 3) break;
      }
      let compared = 0;
      for (const ex of ruled) {
        const proof = await proveExample(ex, env());
        expect(proof.ok).toBe(true);
        if (!proof.ok) continue;
        for (const m of proof.mutations.filter((p) => p.from === "keys+policy")) {
          const whole = await runScript(applyMutation(extractScript(ex.answer), m)!, { ...env(), phrases: [m.message] });
          expect(whole.ok, m.rule).toBe(false);
          expect(whole.found, `${m.rule}: ${whole.reason}\n${whole.stderrTail}`).toEqual([m.message]);
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(2);
    },
    240_000,
  );

  testWith(
    Boolean(WITNESS),
    "a non-compliant copy made compliant is not refused, so the script fails at the grep of the rule's message",
    async () => {
      for (const [i, ex] of rendered.entries()) {
        const fixed = withoutViolation(ex, specs[i]!);
        expect(fixed).not.toBe(extractScript(ex.answer));
        const r = await runScript(fixed, { ...env(), trace: true });
        expect(r.ok, specs[i]!.variant).toBe(false);
        expect(r.failingCommand ?? "", `${specs[i]!.variant}: ${r.reason}\n${r.stderrTail}`).toStartWith("grep -F ");
      }
    },
    240_000,
  );
});
