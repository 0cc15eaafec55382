// needs: witness
import { describe, expect } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { VARIANTS } from "../../src/witness/pipeline.ts";
import { proveExample } from "../../src/witness/prove.ts";
import type { RenderedExample } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, runScript, scriptPath } from "../../src/witness/script.ts";
import { type ExampleSpec, sampleSpecs } from "../../src/witness/spec.ts";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const cfg = loadConfig(FAST).witness;
const env = () => ({ path: scriptPath(WITNESS ?? "witness", process.env.PATH ?? "/usr/bin:/bin"), timeoutMs: 180_000 });
type Checks = { variant: string; steps: string[]; roles: string[]; links: Record<string, string[]>; subject: string };

/** One pipeline spec per variant from the fast config, preferring ones with Rego rules (their mutations are proven too). */
function onePerVariant(): { spec: ExampleSpec; r: RenderedExample }[] {
  const families = [{ name: "pipeline" as const, weight: 1, questions: cfg.families.pipeline!.questions.length }];
  const picked = new Map<string, ExampleSpec>();
  let seen = 0;
  for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 21, undefined, familyShapers(cfg))) {
    const have = picked.get(spec.variant!);
    if (!have || (have.rules.length === 0 && spec.rules.length > 0)) picked.set(spec.variant!, spec);
    if (++seen > 200 || (picked.size === VARIANTS.length && [...picked.values()].every((s) => s.rules.length))) break;
  }
  return VARIANTS.map((v) => picked.get(v)!).map((spec) => ({ spec, r: renderExample(spec, cfg, fixtureCatalog()) }));
}

/** The script with `line` inserted right after the `witness run` of `step`. */
function after(script: string, step: string, line: string): string {
  const at = script.indexOf(`witness run -s ${step} `);
  const end = script.indexOf("\n", at);
  expect(at).toBeGreaterThan(0);
  return `${script.slice(0, end + 1)}${line}\n${script.slice(end + 1)}`;
}

describe("pipeline family (real witness)", () => {
  const examples = onePerVariant();
  const five = examples.find((e) => e.spec.variant === "lint,build,test,package,scan")!;

  testWith(
    Boolean(WITNESS),
    "one example per variant is proven: the script passes and every Rego mutation of the build step denies",
    async () => {
      expect(examples.map((e) => e.spec.variant)).toEqual([...VARIANTS]);
      expect(examples.reduce((n, e) => n + e.r.mutations.length, 0)).toBeGreaterThanOrEqual(VARIANTS.length);
      for (const { spec, r } of examples) {
        const proof = await proveExample(r, env());
        expect(proof.ok, `${spec.variant} ${spec.command}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
        if (!proof.ok) continue;
        expect(proof.mutations.map((m) => m.rule)).toEqual(spec.rules);
        for (const m of proof.mutations) expect(m.denied).toBe(true);
      }
    },
    240_000,
  );

  testWith(
    Boolean(WITNESS),
    "an intermediate product swapped between two steps fails artifactsFrom, and passes only once the links are dropped",
    async () => {
      const checks = five.r.checks as Checks;
      const build = checks.steps[checks.roles.indexOf("build")]!;
      const test = checks.steps[checks.roles.indexOf("test")]!;
      const artifact = loadConfig(FAST).witness.commands.find((c) => c.name === five.spec.command)!.artifact;
      const tampered = after(extractScript(five.r.answer), build, `echo tampered >> repo/ws/${artifact}`);
      const r = await runScript(tampered, { ...env(), phrases: [`failed to verify artifacts for step ${test}`, `mismatched digests for ${artifact}`] });
      expect(r.ok).toBe(false);
      expect(r.reason).toStartWith("artifact-mismatch");
      expect(r.found).toHaveLength(2);
      // Control: without artifactsFrom the same swap goes unnoticed, so the links are what caught it.
      const unlinked = tampered.replace(/\],\n\s*"artifactsFrom": \[[^\]]*\]/g, "]");
      expect(unlinked).not.toContain("artifactsFrom");
      const u = await runScript(unlinked, env());
      expect(u.ok, u.stderrTail).toBe(true);
    },
    120_000,
  );

  testWith(
    Boolean(WITNESS),
    "a step signed with another step's key, or a step's attestation left out of verify, fails",
    async () => {
      const checks = five.r.checks as Checks;
      const [test, pkg] = [checks.steps[checks.roles.indexOf("test")]!, checks.steps[checks.roles.indexOf("package")]!];
      const script = extractScript(five.r.answer);
      const swapped = script.replace(`-s ${pkg} -k ../../keys/${pkg}.key `, `-s ${pkg} -k ../../keys/${test}.key `);
      expect(swapped).not.toBe(script);
      const s = await runScript(swapped, { ...env(), phrases: [`no verifiers matched with allowed functionaries for step ${pkg}`] });
      expect(s.ok).toBe(false);
      expect(s.found).toHaveLength(1);
      const missing = script.replace(` -a att/${test}.json`, "");
      expect(missing).not.toBe(script);
      const m = await runScript(missing, { ...env(), phrases: ["Verification failed"] });
      expect(m.ok).toBe(false);
      expect(m.found).toHaveLength(1);
    },
    120_000,
  );

  testWith(
    Boolean(WITNESS),
    "gen keeps pipeline examples with their checks in meta.jsonl, and sekft verify accepts them",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sekft-pipeline-"));
      const config = join(dir, "pipeline.toml");
      writeFileSync(
        config,
        `${readFileSync(FAST, "utf8")}\n[witness.families.attest]\nweight = 0\n\n[witness.families.troubleshoot]\nweight = 0\n\n[witness.families.inspect]\nweight = 0\n\n[witness.families.policy]\nweight = 0\n\n[witness.families.pipeline]\nweight = 1\n`,
      );
      const out = join(dir, "out");
      const e = cleanEnv({ HOME: process.env.HOME ?? "/root" });
      const g = await runCli(["gen", "--config", config, "--count", "3", "--workers", "2", "--seed", "4", "--out", out], { env: e });
      expect(g.code, g.stderr).toBe(0);
      const meta = readFileSync(join(out, "witness", "meta.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { spec: ExampleSpec; checks?: Checks });
      expect(meta).toHaveLength(3);
      for (const m of meta) {
        expect(m.spec.family).toBe("pipeline");
        expect(m.checks?.variant).toBe(m.spec.variant!);
        expect(m.checks!.steps.length).toBeGreaterThanOrEqual(3);
        expect(Object.keys(m.checks!.links).length).toBe(m.checks!.steps.length - 1);
      }
      const v = await runCli(["verify", out, "--workers", "2"], { env: e });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toMatch(/^3 passed, 0 failed$/m);
    },
    240_000,
  );
});
