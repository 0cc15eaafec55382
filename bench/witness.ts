// Runs `dist/sekft gen --track witness` at 1 and 2 workers with CPU-recording shims for witness, openssl and git.
// Run: bun bench/witness.ts [COUNT=200] [gen flags...]; SEKFT_BIN=path runs another build instead, WORKERS=2 runs
// only that pool size, SEKFT_BASE=path also runs that build (e.g. an older one) with the same count, workers and
// PATH, alternating with this one ROUNDS times (default 1), and prints the ratio of their kept examples/s;
// SEKFT_BASE_ARGS gives the base its own gen flags (e.g. none, where the current build needs a --config).
// Both binaries see the caller's PATH: a tool one of them can use and the other skips (the newer binary skips
// tools that are only under HOME) makes the comparison unequal, so give a PATH without them for a like-for-like run.
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const count = Number(process.argv[2] ?? 200);
const extra = process.argv.slice(3);
// The base build's own gen flags (space-separated), when its config differs (e.g. it predates a config key).
const baseExtra = process.env.SEKFT_BASE_ARGS === undefined ? extra : process.env.SEKFT_BASE_ARGS.split(" ").filter(Boolean);
const root = resolve(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "sekft-bench-witness-"));
const shims = join(work, "shims");
mkdirSync(shims);
const home = process.env.HOME ?? "/root";
const real: Record<string, string> = {
  witness: process.env.SEKFT_WITNESS ?? join(home, ".cache/sekft/tools/witness-v0.11.0/witness"),
  openssl: Bun.which("openssl")!,
  git: Bun.which("git")!,
};
const log = join(work, "cpu.log");
for (const [name, path] of Object.entries(real)) {
  if (!existsSync(path)) throw new Error(`${name} not found at ${path}; run scripts/setup.sh`);
  const cc = Bun.spawnSync(["cc", "-O2", `-DREAL="${path}"`, `-DLOG="${log}"`, `-DNAME="${name}"`, "-o", join(shims, name), join(root, "bench/cpuwrap.c")]);
  if (cc.exitCode !== 0) throw new Error(`cc failed: ${cc.stderr}`);
}

/** CPU seconds per tool, and per tool subcommand (`witness run`, `openssl genpkey`, ...) with call counts. */
function toolCpu(): { sums: Record<string, number>; subs: Record<string, { cpu: number; calls: number }> } {
  const sums: Record<string, number> = { witness: 0, openssl: 0, git: 0 };
  const subs: Record<string, { cpu: number; calls: number }> = {};
  if (!existsSync(log)) return { sums, subs };
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [name, sub, user, sys] = line.split(" ");
    if (!name) continue;
    const cpu = Number(user) + Number(sys);
    sums[name] = (sums[name] ?? 0) + cpu;
    const key = `${name} ${sub}`;
    subs[key] ??= { cpu: 0, calls: 0 };
    subs[key].cpu += cpu;
    subs[key].calls += 1;
  }
  return { sums, subs };
}

async function run(workers: number, bin: string, tag = ""): Promise<{ rate: number; seconds: number; kept: number; perExample: Record<string, number> }> {
  Bun.write(log, "");
  const out = join(work, `out${tag}-w${workers}`);
  const env = { PATH: `${shims}:${process.env.PATH}`, HOME: home, SEKFT_WITNESS: join(shims, "witness"), NO_COLOR: "1" };
  const t = performance.now();
  const p = Bun.spawn(
    [bin, "gen", "--track", "witness", "--count", String(count), "--workers", String(workers), "--out", out, ...(tag.startsWith("base") ? baseExtra : extra)],
    {
      env,
      stdout: "inherit",
      stderr: "pipe",
    },
  );
  const stderr = await new Response(p.stderr).text();
  const code = await p.exited;
  const seconds = (performance.now() - t) / 1000;
  const summary = stderr.split("\n").find((l) => l.includes("witness: kept")) ?? "";
  if (code !== 0) throw new Error(`gen exited ${code}\n${stderr.slice(-2000)}`);
  const m = /cpu tools ([\d.]+)s sekft ([\d.]+)s/.exec(summary)!;
  const kept = Number(/kept (\d+)/.exec(summary)![1]);
  const { sums: tools, subs } = toolCpu();
  const top = Object.entries(subs)
    .sort((a, b) => b[1].cpu - a[1].cpu)
    .slice(0, 8)
    .map(([k, v]) => `${k} ${(v.cpu / kept).toFixed(3)}s (${(v.calls / kept).toFixed(1)} calls)`);
  console.log(`  per example, by subcommand: ${top.join(", ")}`);
  const total = Number(m[1]);
  const sekft = Number(m[2]);
  const per = (x: number): number => x / kept;
  console.log(`${tag ? `${tag} ` : ""}workers ${workers}: ${summary.trim()}`);
  return {
    rate: kept / seconds,
    seconds,
    kept,
    perExample: {
      witness: per(tools.witness!),
      openssl: per(tools.openssl!),
      git: per(tools.git!),
      "other tools (sh, build tools)": per(Math.max(0, total - tools.witness! - tools.openssl! - tools.git!)),
      sekft: per(sekft),
    },
  };
}

const bin = process.env.SEKFT_BIN ?? join(root, "dist/sekft");
const base = process.env.SEKFT_BASE;
const sizes = process.env.WORKERS ? [Number(process.env.WORKERS)] : [1, 2];
const rounds = base ? Math.max(1, Number(process.env.ROUNDS ?? 1)) : 1;
type Result = Awaited<ReturnType<typeof run>>;
const results: [string, Result][] = [];
const pairs: { workers: number; base: Result[]; current: Result[] }[] = [];
for (const w of sizes) {
  const pair = { workers: w, base: [] as Result[], current: [] as Result[] };
  for (let i = 0; i < rounds; i++) {
    // Base first in each round, so neither build always runs on the warmer (or busier) machine.
    if (base) pair.base.push(await run(w, base, `base${i + 1}`));
    pair.current.push(await run(w, bin, base ? `current${i + 1}` : ""));
  }
  pairs.push(pair);
  for (const [i, r] of pair.current.entries()) results.push([`${w} worker${w > 1 ? "s" : " "}${rounds > 1 ? ` round ${i + 1}` : ""}`, r]);
  for (const [i, r] of pair.base.entries()) results.push([`${w} worker${w > 1 ? "s" : " "} base${rounds > 1 ? ` round ${i + 1}` : ""}`, r]);
}
for (const [label, r] of results) {
  const total = Object.values(r.perExample).reduce((a, b) => a + b, 0);
  const split = Object.entries(r.perExample)
    .map(([k, v]) => `${k} ${v.toFixed(3)}s`)
    .join(", ");
  console.log(
    `${label}: ${r.rate.toFixed(3)} examples/s; CPU per example ${total.toFixed(3)}s = ${split}; sekft share ${((r.perExample.sekft! / total) * 100).toFixed(2)}%`,
  );
}
/** Kept examples over wall seconds, summed over the rounds. */
const rateOf = (rs: Result[]): number => rs.reduce((n, r) => n + r.kept, 0) / rs.reduce((s, r) => s + r.seconds, 0);
for (const p of base ? pairs : []) {
  const b = rateOf(p.base);
  const c = rateOf(p.current);
  console.log(`${p.workers} worker(s): current ${c.toFixed(3)} vs base ${b.toFixed(3)} examples/s = ${(c / b).toFixed(2)}× (${rounds} round(s) of ${count})`);
}
const single = pairs.map((p) => p.current[0]!);
if (single.length === 2) console.log(`scaling 1→2 workers: ${(single[1]!.rate / single[0]!.rate).toFixed(2)}×  (count ${count}, outputs in ${work})`);
