// Proves the same specs twice, as their attest answer and as their inspect answer, one at a time, and prints the
// run time of each (median and mean of the kept script's run, ms): what the inspect block costs on top of attest.
// Usage: bun bench/witness-inspect.ts [SPECS]   (fast commands and Ed25519 keys, so the build does not dominate)
import { loadConfig } from "../src/config/load.ts";
import { loadCatalog } from "../src/witness/catalog.ts";
import { familyShapers } from "../src/witness/families.ts";
import { proveExample } from "../src/witness/prove.ts";
import { renderAttest } from "../src/witness/render.ts";
import { renderExample } from "../src/witness/families.ts";
import { scriptPath } from "../src/witness/script.ts";
import { sampleSpecs, type ExampleSpec } from "../src/witness/spec.ts";
import { dimsOf } from "../tests/helpers/witness.ts";
import { witnessBin } from "../tests/helpers/deps.ts";

const n = Number(process.argv[2] ?? 14);
const witness = witnessBin();
if (!witness) throw new Error("witness not found; run scripts/setup.sh");
const base = loadConfig(undefined).witness;
const fast = ["tarball", "checksums", "sh-build", "node-build", "python-compileall"];
const cfg = { ...base, commands: base.commands.filter((c) => fast.includes(c.name)), key_types: ["ed25519" as const], max_rules: 1 };
const env = { path: scriptPath(witness, process.env.PATH ?? "/usr/bin:/bin"), timeoutMs: 120_000 };
const catalog = await loadCatalog(witness, { PATH: env.path, HOME: process.env.HOME ?? "/tmp" });
const families = [{ name: "inspect" as const, weight: 1, questions: cfg.families.inspect!.questions.length }];
const specs: ExampleSpec[] = [];
for (const { spec } of sampleSpecs({ ...dimsOf(cfg), families }, 11, undefined, familyShapers(cfg))) {
  specs.push(spec);
  if (specs.length >= n) break;
}
const attest: number[] = [];
const inspect: number[] = [];
for (const spec of specs) {
  const a = await proveExample(renderAttest(spec, cfg, catalog), env);
  const b = await proveExample(renderExample(spec, cfg, catalog), env);
  if (!a.ok || !b.ok) throw new Error(`${spec.variant}: ${a.ok ? "" : a.reason} ${b.ok ? "" : b.reason}`);
  attest.push(a.runMs);
  inspect.push(b.runMs);
}
const median = (x: number[]): number => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
const mean = (x: number[]): number => Math.round(x.reduce((p, q) => p + q, 0) / x.length);
console.log(
  `specs ${specs.length}: attest run median ${median(attest)} ms, mean ${mean(attest)} ms; inspect run median ${median(inspect)} ms, mean ${mean(inspect)} ms`,
);
