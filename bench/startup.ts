// Start-up of the compiled binary as a ratio to Bun's own floor: a compiled "hello" built here with the same
// flags, run in turn with each command (A B A B ...) so that both see the same machine load. Prints, per command,
// the median wall time of each and the median of the per-pair ratios.
// Usage: bun bench/startup.ts [RUNS] [BIN]   (default 25 runs of dist/sekft; build it with scripts/setup.sh)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const runs = Number(process.argv[2] ?? 25);
const bin = resolve(process.argv[3] ?? "dist/sekft");
const commands = [["--help"], ["--version"], ["config", "check"], ["doctor"]];
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };

const dir = mkdtempSync(join(tmpdir(), "sekft-hello-"));
try {
  writeFileSync(join(dir, "hello.ts"), 'console.log("hello");\n');
  const hello = join(dir, "hello");
  const flags = ["--compile", "--minify", "--sourcemap", "--bytecode", "--format=esm", "--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv"];
  const build = Bun.spawnSync([process.execPath, "build", join(dir, "hello.ts"), ...flags, "--outfile", hello], { stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`building hello failed: ${build.stderr.toString()}`);

  const time = (argv: string[]): { ms: number; code: number } => {
    const t = performance.now();
    const r = Bun.spawnSync(argv, { env, stdout: "ignore", stderr: "ignore" });
    return { ms: performance.now() - t, code: r.exitCode };
  };
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  for (const args of commands) {
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    let code = 0;
    for (let i = 0; i < runs + 2; i++) {
      const x = time([bin, ...args]);
      const y = time([hello]);
      code = x.code;
      if (i < 2) continue; // two warm-up pairs: the page cache, not start-up
      a.push(x.ms);
      b.push(y.ms);
      ratios.push(x.ms / y.ms);
    }
    const name = `sekft ${args.join(" ")}`.padEnd(20);
    console.log(
      `${name} median ${median(a).toFixed(1)} ms  hello ${median(b).toFixed(1)} ms  ratio ${median(ratios).toFixed(2)}x  (exit ${code}, ${runs} pairs)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
