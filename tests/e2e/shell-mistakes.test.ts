// needs: docker
import { afterAll, beforeAll, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { DockerEngine } from "../../src/sandbox/docker.ts";
import { openImage, type SandboxImage } from "../../src/sandbox/image.ts";
import { runPool } from "../../src/pool/pool.ts";
import type { Cell, Scenario } from "../../src/shell/bundle.ts";
import { composeChecker } from "../../src/shell/checker.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { gateScenario } from "../../src/shell/gate.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";

const DOCKER = dockerPresent();
const shell = loadConfig(undefined).shell;
const signal = new AbortController().signal;
let engine: DockerEngine;
let image: SandboxImage;

beforeAll(async () => {
  if (!DOCKER && process.env.CI !== "true") return;
  engine = await DockerEngine.connect(process.env);
  image = await openImage(engine, "sekft-sandbox:latest");
});
afterAll(async () => {
  if (engine) {
    await engine[Symbol.asyncDispose]();
    expect(engine.liveCount()).toBe(0);
  }
});

const gate = (cell: Cell, s: Scenario) => gateScenario({ engine, image, sandbox: shell.sandbox, signal }, cell, s, shell.gate_repeats);
const providers = Object.keys(shell.providers);
const cellOf = (task: string, difficulty: string, i: number): Cell => {
  const provider = providers[i % providers.length]!;
  return { task, provider, announcement: "motd", doc_depth: shell.providers[provider]!.doc_depths[0]!, difficulty };
};

testWith(
  DOCKER,
  "every builtin task kind's checker rejects each of its plausible mistakes, and an empty queue rejects any act",
  async () => {
    const cells = [
      ...Object.keys(shell.tasks).map((task, i) => cellOf(task, "single", i)),
      cellOf("cleanup_pattern", "empty_queue", 1),
      cellOf("checksum_manifest", "empty_queue", 2),
    ];
    const failures: string[] = [];
    await runPool(
      cells.entries(),
      async ([i, cell]) => {
        const s = composeBuiltin(cell, 31 + i);
        const r = await gate(cell, s);
        if (!r.passed) failures.push(`${cell.task}/${cell.difficulty}: ${r.reason}`);
        else {
          // Each mistake ran in its own episode and was rejected.
          expect(r.mistakes).toEqual(s.mistakes!.map((m) => m.name));
          expect(r.timings_ms.mistakes).toHaveLength(r.mistakes?.length ?? 0);
        }
      },
      { workers: 2 },
    );
    expect(failures).toEqual([]);
  },
  600_000,
);

/** The bundle with its checker's conditions replaced and only the named mistake kept (one episode for it). */
function unsound(s: Scenario, lines: string[], mistake: string): Scenario {
  const kept = s.mistakes!.filter((m) => m.name === mistake);
  expect(kept).toHaveLength(1);
  return { ...s, checker: composeChecker(lines), mistakes: kept };
}

testWith(
  DOCKER,
  "the gate rejects a bundle whose checker passes a plausible mistake, naming the mistake",
  async () => {
    // The old archive check: an entry ending in <dir>/<file>, which absolute entry paths also satisfy.
    const archive = cellOf("archive", "single", 0);
    const a = composeBuiltin(archive, 5);
    const [, out, base, src] = a.reference.find((step) => step.work)!.cmd.match(/^tar -czf (\S+) -C (\S+) (\S+)$/)!;
    const names = a.fixtures.filter((f) => f.path.startsWith(`${base}/${src}/`)).map((f) => f.path.split("/").pop()!);
    const oldArchive = [
      `tar -tzf ${out} >/dev/null 2>&1 || fail unreadable`,
      ...names.map((n) => `tar -tzf ${out} | grep -qE '(^|/)${src}/${n}$' || fail lacks`),
    ];
    const ra = await gate(archive, unsound(a, oldArchive, "absolute entry paths"));
    expect(ra.passed).toBe(false);
    expect(ra.reason).toStartWith('the checker passes the mistake "absolute entry paths" (tar -czf');

    // The old checksum check: `sha256sum -c` and a line count, which absolute names also satisfy.
    const sums = cellOf("checksum_manifest", "single", 1);
    const c = composeBuiltin(sums, 5);
    const dir = c.reference.find((step) => step.work)!.cmd.replace(/^cd /, "");
    const oldSums = [`(cd ${dir} && sha256sum -c SHA256SUMS >/dev/null 2>&1) || fail no`, `[ "$(grep -c . ${dir}/SHA256SUMS)" -eq 3 ] || fail count`];
    const rc = await gate(sums, unsound(c, oldSums, "absolute names"));
    expect(rc.reason).toStartWith('the checker passes the mistake "absolute names"');

    // The old empty-queue check: fail only when the planted action's result is there; chmod 755 is not 750.
    const idle: Cell = { ...cellOf("permissions", "empty_queue", 2) };
    let e = composeBuiltin(idle, 5);
    for (let seed = 6; !/^chmod 7[0-5]0 /.test(e.decoy[0]!); seed++) e = composeBuiltin(idle, seed);
    const [, mode, path] = e.decoy[0]!.match(/^chmod (\d+) (\S+)$/)!;
    const oldIdle = [`if [ "$(stat -c %a ${path})" = ${mode} ]; then fail acted; fi`];
    const re = await gate(idle, unsound(e, oldIdle, "near-miss mode"));
    expect(re.reason).toBe(`the checker passes the mistake "near-miss mode" (chmod 755 ${path})`);
  },
  240_000,
);
