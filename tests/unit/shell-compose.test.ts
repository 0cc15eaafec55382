import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { composeBuiltin, withLooks } from "../../src/shell/builtin/compose.ts";
import { planCells } from "../../src/shell/plan.ts";
import { varietyOf } from "../../src/shell/variety.ts";
import { unseenFact } from "../helpers/seen.ts";

const shell = loadConfig(undefined).shell;
const cells = planCells(shell, 1000, 1);
const items = cells.map((cell, i) => ({ cell, ...composeBuiltin(cell, i) }));
const panicAt = (s: (typeof items)[number]): string => s.reference.at(-1)!.cmd;

test("a command naming a file no screen showed is caught; an ls of its directory first clears it", () => {
  const text = "Write the checksums of every file in /w/release to /w/release/SHA256SUMS";
  expect(unseenFact("sha256sum amber.bin harbor.bin > SHA256SUMS", text)).toBe("amber.bin");
  expect(unseenFact("sha256sum amber.bin harbor.bin > SHA256SUMS", `${text}\namber.bin  harbor.bin`)).toBeNull();
  expect(unseenFact("jobq -s 12", "see jobq(1)")).toBe("-s");
  expect(unseenFact('cat "$WORK_ORDERS"', "directives are somewhere")).toBe("WORK_ORDERS");
  expect(unseenFact("man 5 directives", "see directives(5)")).toBeNull();
  const steps = withLooks(["cd /w/release", "sha256sum amber.bin harbor.bin > SHA256SUMS"], text);
  expect(steps.map((s) => s.cmd)).toEqual(["cd /w/release", "ls", "sha256sum amber.bin harbor.bin > SHA256SUMS"]);
  expect(steps.map((s) => s.work)).toEqual([true, false, true]);
  expect(withLooks(["mv /w/in/a.log /w/out/b.log"], "Move /w/in/a.log to /w/out/b.log").map((s) => s.cmd)).toEqual(["mv /w/in/a.log /w/out/b.log"]);
});

test("discovery runs login → motd → env → home and stops at the channel with the pointer; the misses hold no pointer", () => {
  const first: Record<string, string[]> = { login_banner: [], motd: ["cat /etc/motd"], env_var: ["cat /etc/motd", "env"] };
  for (const s of items) {
    const cmds = s.reference.map((x) => x.cmd);
    const motd = s.fixtures.find((f) => f.path === "/var/run/motd")!.content!;
    if (s.cell.announcement === "home_file") {
      expect(cmds.slice(0, 2)).toEqual(["cat /etc/motd", "env"]);
      expect(cmds[2]).toMatch(/^ls( -a)?( ~)?$/);
      expect(cmds[3]).toMatch(/^cat (~\/)?[\w.-]+$/);
    } else expect(cmds.slice(0, first[s.cell.announcement]!.length)).toEqual(first[s.cell.announcement]!);
    const envPointer = Object.entries(s.env).some(([k, v]) => k !== "HOSTNAME" && !v.startsWith("/"));
    expect(envPointer).toBe(s.cell.announcement === "env_var");
    expect(/directive|queue|pending|work/i.test(motd)).toBe(s.cell.announcement === "motd");
  }
});

test("hostnames agree: login line, motd and env's HOSTNAME name one host", () => {
  for (const s of items) {
    const host = s.env.HOSTNAME!;
    expect(host).toMatch(/^[a-z]+-?\d+$/);
    expect(s.login_text.includes(host) || !/Linux|ttyS|\(/.test(s.login_text.split("\n")[0]!)).toBe(true);
    expect(s.fixtures.find((f) => f.path === "/var/run/motd")!.content).toContain(host);
  }
});

test("the blocked directive sits at every position 1–4; work after it is checked as not done; the gate always has a mutant", () => {
  const positions = new Set<number>();
  for (const s of items.filter((x) => x.cell.difficulty === "blocked")) {
    expect(panicAt(s)).toStartWith("panic ");
    const m = /directive (\d) was carried out after the blocked one/.exec(s.checker);
    const title = /cannot carry out "([^"]+)"/.exec(panicAt(s))![1]!;
    const served = s.fixtures.filter((f) => f.content?.includes(title));
    expect(served.length).toBeGreaterThan(0);
    positions.add(m ? Number(m[1]) - 1 : Number.NaN);
    // The gate's mutant: drop the last work, or (nothing done before the block) carry on past it.
    expect(s.decoy.length > 0 || s.reference.some((r) => r.work)).toBe(true);
  }
  // Positions seen through the first task after the block: 1, 2, 3 (a blocker last has none after it).
  expect([...positions].filter((p) => !Number.isNaN(p)).sort()).toEqual([1, 2, 3]);
  expect(positions.has(Number.NaN)).toBe(true);
  const noWorkFirst = items.filter((x) => x.cell.difficulty === "blocked" && !x.reference.some((r) => r.work));
  expect(noWorkFirst.length).toBeGreaterThan(0);
});

test("a readme doc depth installs a README beside the data, and the reference reads it", () => {
  for (const s of items.filter((x) => x.cell.doc_depth === "readme")) {
    const readme = s.fixtures.find((f) => /\/(README(\.txt|\.md)?|FORMAT|ABOUT)$/.test(f.path) && !/^\/home\/op\/[^/]+$/.test(f.path));
    expect(readme).toBeDefined();
    expect(s.reference.map((r) => r.cmd)).toContain(`cat ${readme!.path}`);
  }
});

test("1,000 builtin scenarios: no sentence in more than 10%, and each element takes many values", () => {
  const v = varietyOf(items);
  expect(v.top_sentence.share).toBeLessThanOrEqual(0.1);
  expect(v.announcement_templates).toBeGreaterThan(100);
  expect(v.provider_bodies).toBeGreaterThan(100);
  expect(v.rule_sentences).toBeGreaterThanOrEqual(7);
  expect(v.paths).toBeGreaterThan(200);
});

test("fresh 50-bundle runs: no sentence in more than 10% of the bundles of any of ten seeds", () => {
  for (let seed = 0; seed < 10; seed++) {
    const v = varietyOf(planCells(shell, 50, seed).map((cell, i) => ({ cell, ...composeBuiltin(cell, seed * 1000 + i) })));
    expect(v.top_sentence.share, v.top_sentence.text).toBeLessThanOrEqual(0.1);
  }
});

test("a spool's files share one naming scheme, so their name order is the directives' order (regression: d1 sorted after 0002)", () => {
  for (let seed = 1; seed <= 300; seed++) {
    for (const difficulty of ["multi", "blocked"]) {
      const s = composeBuiltin({ task: "archive", provider: "spool", announcement: "motd", doc_depth: "readme", difficulty }, seed);
      const reads = s.reference.map((r) => r.cmd).filter((c) => /^cat \S+\/(?:d?\d+)\.\w+$/.test(c));
      const names = reads.map((c) => c.slice(c.lastIndexOf("/") + 1));
      expect(names).toEqual([...names].sort());
    }
  }
});
