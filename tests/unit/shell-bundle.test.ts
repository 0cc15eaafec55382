import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { commandScript, parseTerminal, wrapperScript } from "../../src/sandbox/session.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { STATE_DIR } from "../../src/sandbox/container.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE_SCHEMA_VERSION, bundleId, parseScenario } from "../../src/shell/bundle.ts";
import { bundleStats, formatBundleStats } from "../../src/shell/stats.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { planCells } from "../../src/shell/plan.ts";

const shell = loadConfig(undefined).shell;
const cell = { task: "rename_move", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };
const good = () => structuredClone(composeBuiltin(cell, 3));

test("a builtin scenario is valid and deterministic per cell and seed", () => {
  const a = good();
  expect(parseScenario(a, shell.limits).ok).toBe(true);
  expect(bundleId(cell, a)).toBe(bundleId(cell, good()));
  expect(bundleId(cell, a)).not.toBe(bundleId(cell, composeBuiltin(cell, 4)));
});

test.each([
  ["/home/op/../../etc/passwd", "escape"],
  ["/etc/passwd", "outside the allowed roots"],
  ["home/op/x", "not absolute"],
  ["/home/op/./x", "escape"],
  ["/home/op//x", "not normalized"],
  ["/var", "outside the allowed roots"],
])("fixture path %p is rejected (%s)", (path, reason) => {
  const s = good() as { fixtures: Array<Record<string, unknown>> };
  s.fixtures.push({ path, type: "file", content: "x", mode: 0o644, owner: "op" });
  const r = parseScenario(s, shell.limits);
  expect(r.ok).toBe(false);
  expect(!r.ok && r.reason).toContain(reason);
});

test("device files, setuid modes, oversize content and bad shapes are rejected with a reason", () => {
  const withFixture = (f: Record<string, unknown>) => {
    const s = good() as { fixtures: Array<Record<string, unknown>> };
    s.fixtures.push({ path: "/home/op/f", content: "x", ...f });
    const r = parseScenario(s, shell.limits);
    return r.ok ? "ok" : r.reason;
  };
  expect(withFixture({ type: "chardev" })).toContain("device and special files are not allowed");
  expect(withFixture({ mode: 0o4755 })).toContain("setuid");
  expect(withFixture({ content: "x".repeat(shell.limits.max_file_bytes + 1) })).toContain("oversize");
  expect(withFixture({ mode: "0755" })).toBe("ok");
  const noTerminal = good();
  noTerminal.reference.pop();
  expect(parseScenario(noTerminal, shell.limits)).toMatchObject({ ok: false });
  expect(parseScenario("not an object", shell.limits)).toMatchObject({ ok: false });
  expect(parseScenario({ ...good(), extra: 1 }, shell.limits)).toMatchObject({ ok: false });
});

test("exit, logout and panic are terminals; other commands are not", () => {
  expect(parseTerminal("exit")).toEqual({ kind: "exit", code: 0 });
  expect(parseTerminal("  exit 3 ")).toEqual({ kind: "exit", code: 3 });
  expect(parseTerminal("logout")).toEqual({ kind: "exit", code: 0 });
  expect(parseTerminal("panic 'disk full'")).toEqual({ kind: "panic", message: "disk full" });
  expect(parseTerminal("false || exit 1")).toBeUndefined();
  expect(parseTerminal("exitcode")).toBeUndefined();
  expect(wrapperScript(["HOME", "bad name"])).toContain("unset HOME 2>/dev/null");
});

test("a turn's errors read as a login shell's: the command is line 1 of the script, not an eval's argument", () => {
  // The host's sh stands in for the sandbox's dash, with the state directory in a temp dir.
  const state = mkdtempSync(join(tmpdir(), "sekft-wrapper-"));
  const script = (cmd: string) => commandScript(wrapperScript(["HOME"]), cmd).replaceAll(STATE_DIR, state);
  const run = (cmd: string) => Bun.spawnSync(["sh", "-c", script(cmd)], { stderr: "pipe" });
  const missing = run("sudo-not-a-tool --now");
  expect(missing.exitCode).toBe(127);
  expect(missing.stderr.toString()).toBe("sh: 1: sudo-not-a-tool: not found\n");
  const syntax = run("ls (");
  expect(syntax.exitCode).toBe(2);
  expect(syntax.stderr.toString()).toStartWith("sh: 1: Syntax error");
  expect(run("echo a\necho b >&2; exit 3").exitCode).toBe(3);
  expect(run("cd /tmp && export SEKFT_T=1").exitCode).toBe(0);
  expect(Bun.spawnSync(["sh", "-c", script('echo "$SEKFT_T $(pwd)"')]).stdout.toString()).toBe("1 /tmp\n");
  rmSync(state, { recursive: true, force: true });
});

test("planned cells keep terminals balanced and cover every task and provider", () => {
  const cells = planCells(shell, 50, 1);
  const share = (d: string) => cells.filter((c) => c.difficulty === d).length / cells.length;
  expect(share("blocked")).toBeGreaterThanOrEqual(0.15);
  expect(share("empty_queue")).toBeGreaterThanOrEqual(0.15);
  expect(new Set(cells.map((c) => c.task)).size).toBe(10);
  expect(new Set(cells.map((c) => c.provider)).size).toBe(5);
  for (const c of cells) expect(shell.providers[c.provider]!.doc_depths).toContain(c.doc_depth);
  expect(planCells(shell, 50, 1)).toEqual(cells);
});

test("a config below the terminal share is refused, naming the key", () => {
  const difficulties = { single: { weight: 1, terminal: "exit" }, empty_queue: { weight: 0.01, terminal: "exit" }, blocked: { weight: 1, terminal: "panic" } };
  expect(() => loadConfig(undefined, { shell: { difficulties } })).toThrow(/shell\.difficulties: empty_queue cells are/);
});

test("stats of a bundle directory read every bundle (regression: map(readBundle) passed the index as the size cap)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-bstats-"));
  for (const [i, difficulty] of ["single", "blocked"].entries()) {
    const c = { ...cell, difficulty };
    const scenario = composeBuiltin(c, i);
    const bundle = {
      schema: BUNDLE_SCHEMA_VERSION,
      id: bundleId(c, scenario),
      cell: c,
      author: { kind: "builtin", version: "builtin/1", seed: i },
      image: { tag: "sekft-sandbox:latest", id: "sha256:x" },
      ...scenario,
      gate: { passed: true, repeats: 2, flaky: false, timings_ms: { untouched: 1, reference: [1, 1], mutant: 1, total: 3 }, mutant: "" },
    };
    writeFileSync(join(dir, `${bundle.id}.json`), JSON.stringify(bundle));
  }
  const stats = bundleStats(dir);
  expect(stats.bundles).toBe(2);
  expect(stats.dimensions.difficulty).toEqual({ single: 1, blocked: 1 });
  // Variety per element: two bundles of one cell differ in tool script, paths and announcement.
  expect(stats.variety.provider_bodies).toBe(2);
  expect(stats.variety.announcement_templates).toBe(2);
  expect(stats.variety.top_sentence.share).toBeGreaterThan(0);
  expect(formatBundleStats(stats)).toContain("distinct: 2 announcement templates, 2 provider bodies");
});
