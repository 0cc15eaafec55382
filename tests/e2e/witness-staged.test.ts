// needs: witness
import { describe, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { renderExample } from "../../src/witness/families.ts";
import { proveExample } from "../../src/witness/prove.ts";
import { scriptPath, type ScriptEnv } from "../../src/witness/script.ts";
import { attestorId, sampleSpecs, type ExampleSpec } from "../../src/witness/spec.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";
import { dimsOf, fixtureCatalog } from "../helpers/witness.ts";

const WITNESS = witnessBin();
const cfg = loadConfig(undefined).witness;
const FAST = new Set(["node-build", "cc", "make", "tarball", "checksums", "sh-build", "javac"]);

/**
 * Attest specs over quick commands until every attestor that reads a file the script writes first (staged or made)
 * and every Rego rule of those attestors has appeared: a spec is taken when it brings one not seen yet.
 */
function covering(): ExampleSpec[] {
  const wanted = cfg.attestors.filter((a) => ["sbom-spdx", "sbom-cyclonedx", "sarif", "vex", "docker", "oci", "k8s", "secret", "maven"].includes(a.setup));
  const names = new Set(wanted.map((a) => a.name));
  const todo = new Set([...wanted.map(attestorId), ...cfg.rego.filter((r) => names.has(r.attestor)).map((r) => `rule:${r.name}`)]);
  const dims = { ...dimsOf(cfg), commands: cfg.commands.filter((c) => FAST.has(c.name)) };
  const taken: ExampleSpec[] = [];
  for (const { spec } of sampleSpecs(dims, 9)) {
    const brings = [...spec.attestors, ...spec.rules.map((r) => `rule:${r}`)].filter((x) => todo.has(x));
    if (!brings.length) continue;
    for (const x of brings) todo.delete(x);
    taken.push(spec);
    if (!todo.size) break;
  }
  expect([...todo]).toEqual([]);
  return taken;
}

describe("files staged or made for an attestor (real witness)", () => {
  const env = (): ScriptEnv => ({ path: scriptPath(WITNESS ?? "witness", process.env.PATH ?? ""), timeoutMs: 120_000 });
  testWith(
    Boolean(WITNESS),
    "each attestor's example runs, verifies and its Rego mutants are refused",
    async () => {
      const specs = covering();
      expect(specs.length).toBeGreaterThanOrEqual(5);
      for (const spec of specs) {
        const ex = renderExample(spec, cfg, fixtureCatalog());
        const proof = await proveExample(ex, env());
        expect(proof.ok, `${spec.attestors.join(",")} ${spec.rules.join(",")}: ${proof.ok ? "" : `${proof.reason}\n${proof.stderrTail}`}`).toBe(true);
      }
    },
    900_000,
  );
});
