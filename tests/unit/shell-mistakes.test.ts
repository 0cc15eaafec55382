import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { bundleId, type Cell, parseScenario } from "../../src/shell/bundle.ts";
import { operatorManifest } from "../../src/shell/checker.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { TASKS } from "../../src/shell/builtin/tasks.ts";
import { withMistake } from "../../src/shell/gate.ts";

const shell = loadConfig(undefined).shell;
const cell = (task: string, difficulty: string): Cell => ({ task, provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty });

test("every builtin task kind carries named mistakes into its scenarios, on every difficulty", () => {
  for (const task of Object.keys(TASKS)) {
    for (const difficulty of ["single", "multi", "blocked", "empty_queue"]) {
      const s = composeBuiltin(cell(task, difficulty), 7);
      expect(parseScenario(s, shell.limits).ok).toBe(true);
      const names = (s.mistakes ?? []).map((m) => m.name);
      // A blocked directive first leaves nothing done: its decoy (carrying on past the block) is the mistake.
      const nothingDone = difficulty === "blocked" && !s.reference.some((step) => step.work);
      expect(names.length).toBeGreaterThanOrEqual(nothingDone ? 0 : difficulty === "empty_queue" ? 8 : 5);
      if (nothingDone) expect(names).toEqual([]);
      expect(new Set(names).size).toBe(names.length);
    }
  }
});

test("a mistake replaces the working steps, keeps the other directives' work, and goes before the terminal of an empty queue", () => {
  const single = composeBuiltin(cell("permissions", "single"), 3);
  const m = single.mistakes![0]!;
  const cmds = withMistake(single, m);
  expect(cmds.filter((c) => c.startsWith("chmod"))).toEqual(m.work);
  expect(cmds.at(-1)).toBe("exit");
  expect(cmds.slice(0, -2)).toEqual(
    single.reference
      .filter((s) => !s.work)
      .map((s) => s.cmd)
      .slice(0, -1),
  );

  const multi = composeBuiltin(cell("permissions", "multi"), 3);
  const other = multi.reference
    .filter((s) => s.work)
    .map((s) => s.cmd)
    .slice(1);
  expect(multi.mistakes![0]!.work.slice(1)).toEqual(other);

  const blocked = composeBuiltin(cell("permissions", "blocked"), 3);
  const b = withMistake(blocked, blocked.mistakes![0]!);
  expect(b.at(-1)).toStartWith("panic ");
  expect(b.indexOf(blocked.mistakes![0]!.work[0]!)).toBeLessThan(b.length - 2);

  const idle = composeBuiltin(cell("permissions", "empty_queue"), 3);
  const i = withMistake(idle, { name: "x", work: ["touch /home/op/x"] });
  expect(i.slice(-2)).toEqual(["touch /home/op/x", "exit"]);
  expect(i.slice(0, -2)).toEqual(idle.reference.slice(0, -1).map((s) => s.cmd));
});

test("mistakes are bounded and may not end the episode", () => {
  const s = composeBuiltin(cell("sort_dedupe", "single"), 3);
  const terminal = parseScenario({ ...s, mistakes: [{ name: "gives up", work: ["exit"] }] }, shell.limits);
  expect(!terminal.ok && terminal.reason).toBe('mistake "gives up" has a terminal command');
  const long = parseScenario({ ...s, mistakes: [{ name: "long", work: Array(shell.limits.max_commands).fill("true") }] }, shell.limits);
  expect(!long.ok && long.reason).toContain('oversize: mistake "long"');
  const many = parseScenario({ ...s, mistakes: Array.from({ length: 25 }, (_, k) => ({ name: `m${k}`, work: ["true"] })) }, shell.limits);
  expect(many.ok).toBe(false);
});

test("a scenario without mistakes (made before the field) keeps its id", () => {
  const s = composeBuiltin(cell("sort_dedupe", "single"), 3);
  const { mistakes: _, ...old } = s;
  expect(bundleId(cell("sort_dedupe", "single"), { ...old, mistakes: undefined })).toBe(bundleId(cell("sort_dedupe", "single"), old));
  expect(parseScenario(old, shell.limits).ok).toBe(true);
});

test("the operator tree's manifest lists implicit parents as the operator's 0755 directories, in byte order", () => {
  const m = operatorManifest([
    { path: "/home/op/work/a-b/x.txt", type: "file", content: "hi\n", mode: 0o600, owner: "op" },
    { path: "/home/op/work/a/y", type: "dir", mode: 0o700, owner: "root" },
    { path: "/var/lib/q", type: "file", content: "", mode: 0o644, owner: "root" },
  ]);
  expect(m).toEqual([
    "/home/op d 755 1000",
    "/home/op/work d 755 1000",
    "/home/op/work/a d 755 1000",
    "/home/op/work/a-b d 755 1000",
    "/home/op/work/a-b/x.txt f 600 1000 98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4",
    "/home/op/work/a/y d 700 0",
  ]);
});

test("a mistake that would leave the reference's own state is not listed (chmod -R 755 of a 755 directory)", () => {
  const modes = new Map<string, string[]>();
  for (let seed = 0; seed < 40; seed++) {
    const s = composeBuiltin(cell("permissions", "single"), seed);
    const mode = s.reference.find((st) => st.work)!.cmd.split(" ")[1]!;
    modes.set(
      mode,
      (s.mistakes ?? []).map((m) => m.name),
    );
  }
  expect(modes.get("755")).not.toContain("recursive chmod of the directory");
  expect(modes.get("750")).toContain("recursive chmod of the directory");
});
