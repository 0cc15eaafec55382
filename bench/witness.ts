// Runs `dist/sekft gen --track witness` at 1 and 2 workers with CPU-recording shims for witness, openssl and git.
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const count = Number(process.argv[2] ?? 200);
const extra = process.argv.slice(3);
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

function toolCpu(): Record<string, number> {
  const sums: Record<string, number> = { witness: 0, openssl: 0, git: 0 };
  if (!existsSync(log)) return sums;
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [name, user, sys] = line.split(" ");
    if (name) sums[name] = (sums[name] ?? 0) + Number(user) + Number(sys);
  }
  return sums;
}

async function run(workers: number): Promise<{ rate: number; perExample: Record<string, number> }> {
  Bun.write(log, "");
  const out = join(work, `out-w${workers}`);
  const env = { PATH: `${shims}:${process.env.PATH}`, HOME: home, SEKFT_WITNESS: join(shims, "witness"), NO_COLOR: "1" };
  const t = performance.now();
  const p = Bun.spawn([join(root, "dist/sekft"), "gen", "--track", "witness", "--count", String(count), "--workers", String(workers), "--out", out, ...extra], {
    env,
    stdout: "inherit",
    stderr: "pipe",
  });
  const stderr = await new Response(p.stderr).text();
  const code = await p.exited;
  const seconds = (performance.now() - t) / 1000;
  const summary = stderr.split("\n").find((l) => l.includes("witness: kept")) ?? "";
  if (code !== 0) throw new Error(`gen exited ${code}\n${stderr.slice(-2000)}`);
  const m = /cpu tools ([\d.]+)s sekft ([\d.]+)s/.exec(summary)!;
  const kept = Number(/kept (\d+)/.exec(summary)![1]);
  const tools = toolCpu();
  const total = Number(m[1]);
  const sekft = Number(m[2]);
  const per = (x: number): number => x / kept;
  console.log(`workers ${workers}: ${summary.trim()}`);
  return {
    rate: kept / seconds,
    perExample: {
      witness: per(tools.witness!),
      openssl: per(tools.openssl!),
      git: per(tools.git!),
      "other tools (sh, build tools)": per(Math.max(0, total - tools.witness! - tools.openssl! - tools.git!)),
      sekft: per(sekft),
    },
  };
}

const one = await run(1);
const two = await run(2);
for (const [label, r] of [
  ["1 worker ", one],
  ["2 workers", two],
] as const) {
  const total = Object.values(r.perExample).reduce((a, b) => a + b, 0);
  const split = Object.entries(r.perExample)
    .map(([k, v]) => `${k} ${v.toFixed(3)}s`)
    .join(", ");
  console.log(
    `${label}: ${r.rate.toFixed(3)} examples/s; CPU per example ${total.toFixed(3)}s = ${split}; sekft share ${((r.perExample.sekft! / total) * 100).toFixed(2)}%`,
  );
}
console.log(`scaling 1→2 workers: ${(two.rate / one.rate).toFixed(2)}×  (count ${count}, outputs in ${work})`);
