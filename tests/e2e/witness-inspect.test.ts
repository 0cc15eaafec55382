// needs: witness
import { describe, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { loadCatalog, type Catalog } from "../../src/witness/catalog.ts";
import { familyShapers } from "../../src/witness/families.ts";
import { VARIANTS, variantFits, variantOf } from "../../src/witness/inspect.ts";
import { proveExample } from "../../src/witness/prove.ts";
import type { RenderedExample } from "../../src/witness/render.ts";
import { renderExample } from "../../src/witness/families.ts";
import { extractScript, runScript, scriptPath } from "../../src/witness/script.ts";
import { sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const base = loadConfig(undefined).witness;
// Fast commands and keys only: the point is the inspect block, not the build (two projects with a lockfile, for the
// lockfile variant). At most one Rego rule each.
const cfg = {
  ...base,
  commands: base.commands.filter((c) => ["tarball", "checksums", "sh-build", "node-build", "python-compileall"].includes(c.name)),
  key_types: ["ed25519" as const],
  max_rules: 1,
};
const env = () => ({ path: scriptPath(WITNESS ?? "witness", process.env.PATH ?? "/usr/bin:/bin"), timeoutMs: 120_000 });

/** One spec per variant, from the real sampler with only the inspect family. */
function onePerVariant(): ExampleSpec[] {
  const families = [{ name: "inspect" as const, weight: 1, questions: cfg.families.inspect!.questions.length }];
  const found = new Map<string, ExampleSpec>();
  for (const { index, spec } of sampleSpecs({ ...dimsOf(cfg), families }, 11, undefined, familyShapers(cfg))) {
    if (!found.has(spec.variant!)) found.set(spec.variant!, spec);
    if (found.size === VARIANTS.length || index > 2_000) break;
  }
  return [...found.values()];
}

/** Runs `fn` over `items`, two at a time (the machine is shared). */
async function eachTwoAtATime<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/** The script with the value its `test` line expects replaced by a wrong one. */
function withWrongValue(ex: RenderedExample): string {
  const script = extractScript(ex.answer);
  const line = script.split("\n").find((l) => l.startsWith('test "$(jq '))!;
  const [left, right] = [line.slice(0, line.lastIndexOf(" = ")), line.slice(line.lastIndexOf(" = ") + 3)];
  const wrong = right.startsWith("'") ? `${right.slice(0, -1)}x'` : `"$(printf '%064d' 0)"`;
  const altered = script.replace(line, `${left} = ${wrong}`);
  expect(altered).not.toBe(script);
  return altered;
}

describe("inspect family (real witness)", () => {
  testWith(
    Boolean(WITNESS),
    "one example per variant is kept by proveExample, and the same script with the shown value altered fails at its test line",
    async () => {
      const catalog: Catalog = await loadCatalog(WITNESS!, { PATH: env().path, HOME: process.env.HOME ?? "/tmp" });
      const specs = onePerVariant();
      expect(specs.map((s) => s.variant).sort()).toEqual(VARIANTS.map((v) => v.name).sort());
      const results = await eachTwoAtATime(specs, async (spec) => {
        const ex = renderExample(spec, cfg, catalog);
        const t = performance.now();
        const proof = await proveExample(ex, env());
        const ms = performance.now() - t;
        const bad = await runScript(withWrongValue(ex), { ...env(), trace: true });
        return { spec, ex, proof, ms, bad };
      });
      for (const { spec, proof, bad, ms } of results) {
        expect(proof.ok, `${spec.variant}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
        expect(bad.ok, `${spec.variant}: the altered script passed`).toBe(false);
        expect(bad.failingCommand ?? "", spec.variant).toStartWith("test ");
        console.log(`inspect ${spec.variant}: proved in ${Math.round(ms)} ms`);
      }
    },
    300_000,
  );

  testWith(
    Boolean(WITNESS),
    "a Rego mutant whose edit lies before the inspect block runs through it and is still denied by its rule",
    async () => {
      const catalog: Catalog = await loadCatalog(WITNESS!, { PATH: env().path, HOME: process.env.HOME ?? "/tmp" });
      const specs = onePerVariant();
      const pairs: [string, string][] = [
        ["git-commit", "git-release-commit"],
        ["env-var", "env-release-profile"],
      ];
      const cases = pairs.map(([variant, rule]) => ({ ...specs.find((s) => s.variant === variant)!, rules: [rule] }));
      for (const spec of cases) expect(variantFits(variantOf(spec.variant!), spec, cfg)).toBe(true);
      const proofs = await eachTwoAtATime(cases, (spec) => proveExample(renderExample(spec, cfg, catalog), env()));
      proofs.forEach((proof, i) => {
        expect(proof.ok, proof.ok ? "" : `${cases[i]!.variant}: ${proof.reason}\n${proof.stderrTail}`).toBe(true);
        if (!proof.ok) return;
        expect(proof.mutations).toHaveLength(1);
        // From keygen through the inspect block to the key IDs, then the verify against the kept signed policy.
        expect(proof.mutations[0]!.from).toBe("keys+policy");
      });
    },
    120_000,
  );
});
