import { loadConfig } from "../src/config/load.ts";
import { Sandbox } from "../src/sandbox/container.ts";
import { DockerEngine } from "../src/sandbox/docker.ts";
import { openImage } from "../src/sandbox/image.ts";
import { packFixtures } from "../src/sandbox/fixtures.ts";
import { Session } from "../src/sandbox/session.ts";
import { composeBuiltin } from "../src/shell/builtin/compose.ts";
import { gateScenario } from "../src/shell/gate.ts";
import { planCells } from "../src/shell/plan.ts";
import { runPool } from "../src/pool/pool.ts";

const shell = loadConfig(undefined).shell;
const signal = new AbortController().signal;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms (n=${xs.length})`;

await using engine = await DockerEngine.connect(process.env);
const image = await openImage(engine, "sekft-sandbox:latest");
const scenario = composeBuiltin({ task: "archive", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" }, 1);
const tars = await packFixtures(scenario.fixtures);

const ready: number[] = [];
for (let i = 0; i < 12; i++) {
  const t = performance.now();
  await using sb = await Sandbox.start(engine, image, shell.sandbox, signal, scenario.env);
  await Promise.all([...tars].map(([root, tar]) => sb.putArchive(root, tar)));
  ready.push(performance.now() - t);
}
console.log(`create→ready (fixtures delivered): ${fmt(ready.slice(2))}`);

{
  await using sb = await Sandbox.start(engine, image, shell.sandbox, signal);
  const raw: number[] = [];
  const session: number[] = [];
  const s = new Session(sb, { commandTimeoutMs: 10_000, maxOutput: 16384, baseEnvNames: ["HOME", "PATH"] });
  for (let i = 0; i < 60; i++) raw.push((await sb.exec(["true"], { maxOutput: 1024, timeoutMs: 10_000 })).durationMs);
  for (let i = 0; i < 60; i++) {
    const t = performance.now();
    await s.run(i % 2 ? "cd /tmp; export N=1" : "echo $N; pwd");
    session.push(performance.now() - t);
  }
  console.log(`exec round trip, bare \`true\`: ${fmt(raw.slice(5))}`);
  console.log(`exec round trip, session command (cwd + env replay): ${fmt(session.slice(5))}`);
}

const cells = planCells(shell, 12, 7);
for (const workers of [1, 2]) {
  const t = performance.now();
  let passed = 0;
  await runPool(
    cells.entries(),
    async ([i, cell]) => {
      const g = await gateScenario({ engine, image, sandbox: shell.sandbox, signal }, cell, composeBuiltin(cell, i), shell.gate_repeats);
      if (g.passed) passed++;
    },
    { workers },
  );
  const min = (performance.now() - t) / 60_000;
  console.log(
    `gate, ${workers} worker(s): ${(cells.length / min).toFixed(1)} bundles/minute (${passed}/${cells.length} passed, gate_repeats=${shell.gate_repeats})`,
  );
}
