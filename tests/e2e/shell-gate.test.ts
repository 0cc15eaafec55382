// needs: docker
import { afterAll, beforeAll, expect } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { DockerEngine } from "../../src/sandbox/docker.ts";
import { openImage, type SandboxImage } from "../../src/sandbox/image.ts";
import { runPool } from "../../src/pool/pool.ts";
import type { Cell, Scenario } from "../../src/shell/bundle.ts";
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
const tasks = Object.keys(shell.tasks);
const providers = Object.keys(shell.providers);
const announcements = Object.keys(shell.announcements);
const difficulties = ["single", "multi", "empty_queue", "blocked"];

testWith(
  DOCKER,
  "the gate admits builtin bundles of every task, provider, announcement, doc depth and difficulty",
  async () => {
    const cells: Cell[] = tasks.map((task, i) => {
      const provider = providers[i % providers.length]!;
      const depths = shell.providers[provider]!.doc_depths;
      return {
        task,
        provider,
        announcement: announcements[i % announcements.length]!,
        doc_depth: depths[Math.floor(i / providers.length) % depths.length]!,
        difficulty: difficulties[i % difficulties.length]!,
      };
    });
    // usage_error is reached only through one provider above; add it explicitly.
    cells.push({ task: "line_count", provider: "subcommand", announcement: "env_var", doc_depth: "usage_error", difficulty: "single" });
    const failures: string[] = [];
    await runPool(
      cells.entries(),
      async ([i, cell]) => {
        const r = await gate(cell, composeBuiltin(cell, 11 + i));
        if (!r.passed) failures.push(`${JSON.stringify(cell)}: ${r.reason}`);
        expect(r.timings_ms.reference).toHaveLength(shell.gate_repeats);
      },
      { workers: 2 },
    );
    expect(failures).toEqual([]);
  },
  600_000,
);

testWith(
  DOCKER,
  "a blocked directive first leaves no work to drop: carrying on past it is the mutant, and it fails",
  async () => {
    const cell: Cell = { task: "line_count", provider: "single_flag", announcement: "motd", doc_depth: "help", difficulty: "blocked" };
    const seed = [...Array(200).keys()].find((i) => !composeBuiltin(cell, i).reference.some((s) => s.work))!;
    const s = composeBuiltin(cell, seed);
    expect(s.decoy.length).toBeGreaterThan(0);
    const r = await gate(cell, s);
    expect(r.reason).toBeUndefined();
    expect(r.mutant).toStartWith("decoy inserted before the terminal: ");
  },
  120_000,
);

testWith(
  DOCKER,
  "broken bundles are refused with the right reason",
  async () => {
    const cell: Cell = { task: "permissions", provider: "single_flag", announcement: "home_file", doc_depth: "help", difficulty: "single" };
    const base = composeBuiltin(cell, 5);

    const alwaysPasses = { ...base, checker: "#!/bin/sh\nexit 0\n" };
    expect((await gate(cell, alwaysPasses)).reason).toBe("checker passes on the untouched fixtures");

    const wrongReference = { ...base, reference: base.reference.map((s) => (s.work ? { ...s, cmd: s.cmd.replace(/chmod \d+/, "chmod 600") } : s)) };
    expect((await gate(cell, wrongReference)).reason).toStartWith("reference fails: checker exit 1");

    // A checker that ignores the state the last working command makes: dropping that command still passes.
    const vacuous = {
      ...base,
      reference: [...base.reference.slice(0, -1), { cmd: "touch /home/op/marker", work: true }, base.reference.at(-1)!],
      checker: `#!/bin/sh\n[ "$(stat -c %a ${base.reference.find((s) => s.work)!.cmd.split(" ")[2]})" != 644 ]\n`,
    };
    expect((await gate(cell, vacuous)).reason).toContain("mutated reference still passes");

    const wrongTerminal = { ...base, terminal: "panic" as const };
    expect((await gate(cell, wrongTerminal)).reason).toContain("expected panic");
  },
  120_000,
);
