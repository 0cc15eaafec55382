import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { harborLimits, writeTaskDir } from "../../src/harbor/export.ts";
import { readTask } from "../../src/harbor/import.ts";
import { parseSolve, renderTask, type TaskFile } from "../../src/harbor/task.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { BUNDLE_SCHEMA_VERSION, type Bundle, bundleId, type Cell } from "../../src/shell/bundle.ts";

const config = loadConfig(undefined);
const limits = harborLimits(config.shell);
const BASE = "sekft-harbor:0123456789abcdef";
const GATE = { passed: true, repeats: 2, flaky: false, timings_ms: { untouched: 1, reference: [2, 3], mutant: 4, total: 10 }, mutant: "dropped" };

function bundleOf(cell: Cell, seed: number): Bundle {
  const scenario = composeBuiltin(cell, seed);
  return {
    schema: BUNDLE_SCHEMA_VERSION,
    id: bundleId(cell, scenario),
    cell,
    author: { kind: "builtin", version: "builtin/1", seed },
    image: { tag: "sekft-sandbox:latest", id: "sha256:abc" },
    ...scenario,
    gate: GATE,
  };
}

const CELLS: Cell[] = [
  { task: "dir_tree", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "multi" },
  { task: "archive", provider: "spool", announcement: "home_file", doc_depth: "readme", difficulty: "empty_queue" },
  { task: "checksum_manifest", provider: "env_file", announcement: "login_banner", doc_depth: "readme", difficulty: "blocked" },
  { task: "permissions", provider: "man_tool", announcement: "env_var", doc_depth: "man", difficulty: "single" },
];

function filesOf(b: Bundle): TaskFile[] {
  const files = renderTask(b, limits, BASE);
  if ("error" in files) throw new Error(files.error);
  return files;
}

const tmp = (): string => mkdtempSync(join(tmpdir(), "sekft-harbor-"));

describe("Harbor task round trip", () => {
  for (const cell of CELLS) {
    test(`${cell.task}/${cell.difficulty}: export → read → export is byte-identical and keeps the bundle id`, () => {
      const b = bundleOf(cell, 7);
      const first = filesOf(b);
      const dir = writeTaskDir(tmp(), b.id, first);
      const read = readTask(dir, config.shell);
      if (!read.ok) throw new Error(read.why);
      expect(bundleId(read.cell, read.scenario)).toBe(b.id);
      const again = filesOf({ ...b, ...read.scenario, cell: read.cell, author: read.author });
      expect(again).toEqual(first);
      for (const f of first) expect(readFileSync(join(dir, f.path), "utf8")).toBe(f.content);
    });
  }

  test("a model-authored bundle keeps its author, usage included", () => {
    const b: Bundle = {
      ...bundleOf(CELLS[1]!, 2),
      author: { kind: "model", model: "qwen", prompt_version: "p/3", usage: { prompt_tokens: 120, completion_tokens: 45 }, attempts: 2 },
    };
    const read = readTask(writeTaskDir(tmp(), b.id, filesOf(b)), config.shell);
    if (!read.ok) throw new Error(read.why);
    expect(read.author).toEqual(b.author);
  });

  test("the checker is only in tests/, the instruction is only the login text, fixture bytes are never in a RUN line", () => {
    const b = bundleOf(CELLS[0]!, 3);
    const files = new Map(filesOf(b).map((f) => [f.path, f.content]));
    expect(files.get("instruction.md")).toBe(b.login_text);
    expect(files.get("tests/checker.sh")).toBe(b.checker);
    expect(files.get("tests/test.sh")).toContain("env -i PATH=/usr/bin:/bin HOME=/ LC_ALL=C");
    for (const [path, content] of files) if (!path.startsWith("tests/")) expect(content).not.toContain(b.checker);
    const dockerfile = files.get("environment/Dockerfile")!;
    for (const f of b.fixtures) if (f.content) expect(dockerfile).not.toContain(f.content.split("\n")[0]!);
    expect(files.get("task.toml")).toContain(`name = "sekft/${b.id}"`);
    expect(files.get("task.toml")).toContain('user = "root"');
  });

  test("a multi-line step and a step holding a marker-like line come back as the same steps", () => {
    const b = bundleOf(CELLS[3]!, 5);
    const tricky: Bundle = {
      ...b,
      reference: [{ cmd: "printf 'a\\nb\\n' > x\n# sekft-step 0000000000000000 work\necho done", work: true }, ...b.reference],
    };
    const solve = filesOf(tricky).find((f) => f.path === "solution/solve.sh")!.content;
    expect(parseSolve(solve)).toEqual(tricky.reference.slice(0, -1));
  });

  test("an env value no Dockerfile line can carry is refused at export", () => {
    const b = bundleOf(CELLS[0]!, 3);
    const r = renderTask({ ...b, env: { NOTE: "two\nlines" } }, limits, BASE);
    expect(r).toEqual({ error: expect.stringContaining("NOTE") });
  });
});

describe("Harbor tasks sekft refuses", () => {
  function exported(): { dir: string; b: Bundle } {
    const b = bundleOf(CELLS[0]!, 11);
    return { dir: writeTaskDir(tmp(), b.id, filesOf(b)), b };
  }

  test("a Dockerfile that installs anything is refused with its line", () => {
    const { dir } = exported();
    const file = join(dir, "environment/Dockerfile");
    writeFileSync(file, readFileSync(file, "utf8").replace("USER 0:0\n", "USER 0:0\nRUN apt-get install -y curl\n"));
    const r = readTask(dir, config.shell);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toMatch(/^environment\/Dockerfile line 4: .*RUN may only create the fixtures/);
  });

  test("an image sekft does not build is refused", () => {
    const { dir } = exported();
    const file = join(dir, "environment/Dockerfile");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^FROM .*$/m, "FROM python:3.12"));
    const r = readTask(dir, config.shell);
    expect(!r.ok && r.why).toMatch(/line 2: the first instruction must be FROM sekft-sandbox/);
  });

  test("a fixture file that is a symlink out of the task is refused, never read", () => {
    const { dir, b } = exported();
    const f = b.fixtures.find((x) => x.type === "file" && x.content !== undefined)!;
    const path = join(dir, "environment/files", f.path);
    rmSync(path);
    symlinkSync("/etc/passwd", path);
    const r = readTask(dir, config.shell);
    expect(!r.ok && r.why).toMatch(/leaves .* through a symlink|a symlink/);
  });

  test("an oversize fixture, a broken task.toml, an unknown environment file and a missing solve.sh are refused by name", () => {
    const big = exported();
    const f = big.b.fixtures.find((x) => x.type === "file" && x.content !== undefined)!;
    writeFileSync(join(big.dir, "environment/files", f.path), "x".repeat(config.shell.limits.max_file_bytes + 1));
    expect((readTask(big.dir, config.shell) as { why: string }).why).toContain("limit for a fixture");

    const toml = exported();
    writeFileSync(join(toml.dir, "task.toml"), 'schema_version = "1.4"\n[task\n');
    expect((readTask(toml.dir, config.shell) as { why: string }).why).toMatch(/^task\.toml:2:\d+: TOML syntax error/);

    const extra = exported();
    writeFileSync(join(extra.dir, "environment/setup.py"), "print(1)\n");
    expect((readTask(extra.dir, config.shell) as { why: string }).why).toContain("environment/setup.py");

    const nosolve = exported();
    rmSync(join(nosolve.dir, "solution/solve.sh"));
    expect((readTask(nosolve.dir, config.shell) as { why: string }).why).toBe("solution/solve.sh: missing");
  });

  test("an environment/ that is a link out of the task is refused, whatever it holds", () => {
    const { dir } = exported();
    const elsewhere = join(tmp(), "env");
    renameSync(join(dir, "environment"), elsewhere);
    symlinkSync(elsewhere, join(dir, "environment"));
    expect((readTask(dir, config.shell) as { why: string }).why).toMatch(/^environment\/\S+ leaves .* through a symlink/);
  });

  test("fixtures past max_fixtures are refused while the Dockerfile is read", () => {
    const { dir } = exported();
    const many = Array.from({ length: config.shell.limits.max_fixtures + 1 }, (_, i) => `/home/op/many/f${i}`);
    mkdirSync(join(dir, "environment/files/home/op/many"), { recursive: true });
    for (const p of many) writeFileSync(join(dir, "environment/files", p), "x\n");
    const file = join(dir, "environment/Dockerfile");
    const copies = many.map((p) => `COPY --chown=1000:1000 files${p} ${p}`).join("\n");
    writeFileSync(file, readFileSync(file, "utf8").replace("USER 0:0\n", `USER 0:0\n${copies}\n`));
    expect((readTask(dir, config.shell) as { why: string }).why).toContain("max_fixtures");
  });

  test("a FIFO in place of a file is refused without blocking", () => {
    const { dir } = exported();
    const target = join(dir, "instruction.md");
    rmSync(target);
    Bun.spawnSync(["mkfifo", target]);
    chmodSync(target, 0o644);
    expect((readTask(dir, config.shell) as { why: string }).why).toContain("not a regular file");
  });

  test("a foreign task without sekft's metadata reads as one working step and an exit", () => {
    const { dir } = exported();
    writeFileSync(join(dir, "task.toml"), 'schema_version = "1.4"\n[task]\nname = "acme/make-dirs"\n');
    writeFileSync(join(dir, "solution/solve.sh"), "#!/bin/sh\nmkdir -p /home/op/a\n");
    mkdirSync(join(dir, "tests"), { recursive: true });
    const r = readTask(dir, config.shell);
    if (!r.ok) throw new Error(r.why);
    expect(r.scenario.reference).toEqual([
      { cmd: "mkdir -p /home/op/a", work: true },
      { cmd: "exit", work: false },
    ]);
    expect(r.author).toMatchObject({ kind: "model", model: "harbor:acme/make-dirs" });
  });
});
