// Times whole process runs of the compiled binary; prints median and p90 per command.
const runs = Number(process.argv[2] ?? 25);
const commands = [["--help"], ["config", "print"], ["--version"]];
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };
for (const args of commands) {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    const r = Bun.spawnSync(["dist/sekft", ...args], { env, stdout: "ignore", stderr: "ignore" });
    const ms = performance.now() - t;
    if (r.exitCode !== 0) throw new Error(`dist/sekft ${args.join(" ")} exited ${r.exitCode}`);
    if (i >= 2) times.push(ms); // two warm-up runs: page cache, not sekft
  }
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  console.log(`dist/sekft ${args.join(" ").padEnd(14)} median ${q(0.5).toFixed(1)} ms  p90 ${q(0.9).toFixed(1)} ms  (${runs} runs)`);
}
