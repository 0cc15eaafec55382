// Rollout throughput with the reference operator: turns/s and samples/min at 1 and 2 workers, and the per-turn
// overhead (a command's exec round trip: everything but a model's latency) p50/p95. Run: bun bench/rollout.ts [BUNDLES]
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const count = Number(process.argv[2] ?? 12);
const bin = join(import.meta.dir, "../dist/sekft");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };
const run = (args: string[]): number => {
  const t = performance.now();
  const r = Bun.spawnSync([bin, ...args], { env, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`sekft ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(-400)}`);
  return (performance.now() - t) / 1000;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const bundles = mkdtempSync(join(tmpdir(), "sekft-bench-bundles-"));
run(["gen", "--track", "shell", "--count", String(count), "--workers", "2", "--out", bundles, "--seed", "11"]);
for (const workers of [1, 2]) {
  const out = mkdtempSync(join(tmpdir(), "sekft-bench-rollout-"));
  const secs = run(["rollout", bundles, "--out", out, "--operator", "reference", "--workers", String(workers)]);
  const ts = readFileSync(join(out, "rollout/trajectories.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { turns: { ms: number }[]; outcome: string; timings: { ready_ms: number } });
  const turns = ts.flatMap((t) => t.turns.map((x) => x.ms));
  const ok = ts.filter((t) => t.outcome === "success").length;
  console.log(
    `workers ${workers}: ${ts.length} samples (${ok} success), ${turns.length} turns in ${secs.toFixed(1)}s → ` +
      `${(turns.length / secs).toFixed(1)} turns/s, ${((ts.length / secs) * 60).toFixed(1)} samples/min; ` +
      `per-turn overhead p50 ${pct(turns, 50).toFixed(0)} ms, p95 ${pct(turns, 95).toFixed(0)} ms; container ready p50 ${pct(
        ts.map((t) => t.timings.ready_ms),
        50,
      ).toFixed(0)} ms`,
  );
}
