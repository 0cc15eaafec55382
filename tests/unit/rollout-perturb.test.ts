import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { RunJournal } from "../../src/dataset/run-journal.ts";
import { perturbOperator } from "../../src/rollout/operators.ts";
import { PERTURBATIONS, PERTURBATIONS_VERSION, perturbationAttempt, perturbationOf, perturbationsOf, relativised } from "../../src/rollout/perturb.ts";
import { rolloutIdentity } from "../../src/rollout/rollout.ts";
import type { Bundle } from "../../src/shell/bundle.ts";

const W = "/home/op/work/t";
/** A bundle of the given difficulty: reading steps, working steps (work: true), the terminal. */
function bundle(difficulty: string, steps: [string, boolean?][], decoy: string[] = [], id = "0123456789abcdef01234567"): Bundle {
  const terminal = steps.at(-1)![0].startsWith("panic") ? "panic" : "exit";
  return {
    id,
    cell: { task: "t", provider: "p", announcement: "motd", doc_depth: "man", difficulty },
    reference: steps.map(([cmd, work]) => ({ cmd, work: !!work })),
    terminal,
    decoy,
    login_text: "Linux host\n",
    env: {},
    fixtures: [{ path: "/usr/local/bin/jobs", type: "file", content: "", mode: 0o755, owner: "root" }],
    checker: "true",
  } as unknown as Bundle;
}

const reading: [string, boolean?][] = [["cat /etc/motd"], ["man jobs"], ["jobs -l"]];
const multi = bundle("multi", [...reading, [`mv ${W}/in/a.log ${W}/out/b.log`, true], [`wc -l < '${W}/data/x.csv' > ${W}/x.count`, true], ["exit"]]);
const single = bundle("single", [...reading, [`chmod 750 ${W}/run.sh`, true], ["exit"]]);
const blocked = bundle("blocked", [...reading, [`chmod 750 ${W}/run.sh`, true], ["ls -la /home/op/incoming"], ["panic 'cannot import: no file'"]]);
const empty = bundle("empty_queue", [...reading, ["exit"]], [`rm -rf ${W}/cache`]);
const moves = (b: Bundle, name: string) => PERTURBATIONS[name]!(b);

describe("perturbations", () => {
  test("each mistake's commands on a two-directive bundle", () => {
    const r = ["cat /etc/motd", "man jobs", "jobs -l"];
    const mv = `mv ${W}/in/a.log ${W}/out/b.log`;
    const wc = `wc -l < '${W}/data/x.csv' > ${W}/x.count`;
    expect(moves(multi, "loop")).toEqual({ commands: [...r, "mv a.log b.log"], loop: true });
    expect(moves(multi, "invented-tool")).toEqual({ commands: [...r, `sudo ${mv}`, wc, "exit"] });
    expect(moves(multi, "panic-not-exit")).toEqual({ commands: [...r, mv, wc, "panic 'cannot carry out the directives: permission denied'"] });
    expect(moves(multi, "panic-with-work-left")).toEqual({ commands: [...r, mv, "panic 'cannot carry out the directives: permission denied'"] });
    expect(moves(multi, "give-up")).toEqual({ commands: [...r, "panic 'I do not know how to do this'"] });
    expect(moves(multi, "first-only")).toEqual({ commands: [...r, mv, "exit"] });
    expect(moves(multi, "wrong-order")).toEqual({ commands: [...r, wc, mv, "exit"] });
    // Without the docs, the tool is called as tools usually are; with no directive read, the operator gives up.
    expect(moves(multi, "skip-docs")).toEqual({ commands: ["cat /etc/motd", "jobs list", "panic 'cannot read the directives: jobs does not work'"] });
  });

  test("the terminals and the queue: exit where panic is right, acting before reading, acting on an empty queue", () => {
    const r = ["cat /etc/motd", "man jobs", "jobs -l"];
    expect(moves(blocked, "exit-not-panic")).toEqual({ commands: [...r, `chmod 750 ${W}/run.sh`, "ls -la /home/op/incoming", "exit"] });
    // Where a directive is blocked, acting before reading never finds it: the work, then exit.
    expect(moves(blocked, "act-before-read")).toEqual({ commands: [`chmod 750 ${W}/run.sh`, "exit"] });
    // With a decoy, the guessed work comes before any reading.
    expect(moves(empty, "act-before-read")).toEqual({ commands: [`rm -rf ${W}/cache`, ...r, "exit"] });
    expect(moves(empty, "act-on-empty")).toEqual({ commands: [...r, `rm -rf ${W}/cache`, "exit"] });
  });

  test("a perturbation is offered only where it means something for the cell", () => {
    expect(perturbationsOf(multi).sort()).toEqual(
      [
        "exit-at-once",
        "loop-before-read",
        "loop",
        "invented-tool",
        "panic-not-exit",
        "panic-with-work-left",
        "give-up",
        "first-only",
        "wrong-order",
        "skip-docs",
      ].sort(),
    );
    expect(perturbationsOf(single).sort()).toEqual(
      ["exit-at-once", "loop-before-read", "loop", "invented-tool", "panic-not-exit", "give-up", "skip-docs"].sort(),
    );
    expect(perturbationsOf(blocked).sort()).toEqual(
      ["exit-at-once", "loop-before-read", "loop", "invented-tool", "act-before-read", "exit-not-panic", "skip-docs"].sort(),
    );
    // On an empty queue an immediate exit is right: not offered there; the discovery loop is.
    expect(perturbationsOf(empty).sort()).toEqual(["loop-before-read", "act-before-read", "panic-not-exit", "act-on-empty"].sort());
    // No bare `exit` right after reading: no perturbation of any cell is the reading steps and a lone exit.
    for (const b of [multi, single, blocked, empty])
      for (const n of perturbationsOf(b)) expect(moves(b, n)!.commands).not.toEqual(["cat /etc/motd", "man jobs", "jobs -l", "exit"]);
  });

  test("one whose moves are the reference's (it would pass) or an earlier one's is not offered", () => {
    // Two identical working steps: the reverse order is the reference itself.
    const twin = bundle("multi", [...reading, [`touch ${W}/a`, true], [`touch ${W}/a`, true], ["exit"]]);
    expect(moves(twin, "wrong-order")!.commands).toEqual(twin.reference.map((s) => s.cmd));
    expect(perturbationsOf(twin)).not.toContain("wrong-order");
    // Nothing to read before the work: skipping the docs is the reference.
    const bare = bundle("single", [[`chmod 750 ${W}/run.sh`, true], ["exit"]]);
    expect(perturbationsOf(bare)).not.toContain("skip-docs");
    // A tool whose real syntax is the usual guess: skipping its docs costs nothing, so it is no mistake here.
    const usual = bundle("single", [["cat /etc/motd"], ["jobs --help"], ["jobs list"], ["jobs show 12"], [`chmod 750 ${W}/run.sh`, true], ["exit"]]);
    expect(perturbationsOf(usual)).not.toContain("skip-docs");
    // No tool of its own (the directives are files): nothing to guess.
    expect(perturbationsOf({ ...single, fixtures: [] } as Bundle)).not.toContain("skip-docs");
    expect(perturbationsOf({ ...empty } as Bundle)).not.toContain("skip-docs");
    // A command with no path under /home/op has no wrong-directory form: no loop.
    expect(perturbationsOf(bundle("single", [...reading, ["date > /dev/null", true], ["exit"]]))).not.toContain("loop");
  });

  test("samples take each applicable kind once, in a rotation the bundle id starts; then none", () => {
    const names = perturbationsOf(multi);
    const taken = names.map((_, k) => perturbationOf(multi, k));
    expect([...taken].sort()).toEqual([...names].sort());
    expect(perturbationOf(multi, names.length)).toBeNull();
    const other = { ...multi, id: "fedcba9876543210fedcba98" } as Bundle;
    const firsts = new Set([multi, other].map((b) => perturbationOf(b, 0)));
    expect(firsts.size).toBe(2);
    expect(perturbOperator.variant(multi, 0)).toBe(taken[0]!);
  });

  test("a sample whose kind still passed retries with a kind no other sample of the run takes, until none is left", () => {
    const names = perturbationsOf(multi);
    const samples = 2;
    const firsts = [0, 1].map((k) => perturbationAttempt(multi, k, 0, samples));
    const attempts = Array.from({ length: Math.ceil(names.length / samples) }, (_, i) => i + 1);
    const retries = [0, 1].flatMap((k) => attempts.map((a) => perturbationAttempt(multi, k, a, samples)));
    const all = [...firsts, ...retries].filter(Boolean);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(names));
    expect(perturbationAttempt(multi, 0, Math.ceil(names.length / samples), samples)).toBeNull();
    expect(perturbationAttempt(multi, 0, 0, samples)).toBe(perturbationOf(multi, 0));
  });

  test("the loop operator repeats its failing command past its list; the others stop", async () => {
    const k = perturbationsOf(multi).findIndex((_, i) => perturbationOf(multi, i) === "loop");
    const s = perturbOperator.start(multi, k);
    const signal = new AbortController().signal;
    const got = [];
    for (let i = 0; i < 8; i++) got.push(await s.next("$ ", signal));
    expect(got.slice(3).map((m) => (m.kind === "command" ? m.cmd : m.kind))).toEqual(Array(5).fill("mv a.log b.log"));
    const j = perturbationsOf(multi).findIndex((_, i) => perturbationOf(multi, i) === "give-up");
    const g = perturbOperator.start(multi, j);
    for (let i = 0; i < 4; i++) expect((await g.next("$ ", signal)).kind).toBe("command");
    expect((await g.next("$ ", signal)).kind).toBe("stop");
  });

  test("relativised writes every path under /home/op as its bare name, quoted or not", () => {
    expect(relativised(`cp '${W}/a.txt' "/home/op/x.txt" /tmp/keep`)).toBe("cp a.txt x.txt /tmp/keep");
    expect(relativised(`cd ${W}/release`)).toBe("cd release");
    expect(relativised("ls /var/spool")).toBe("ls /var/spool");
  });
});

test("a perturb directory made with another set of mistakes is refused, not mixed with this one", () => {
  const config = loadConfig(undefined);
  const id = rolloutIdentity(config, { operator: "perturb", format: "chat", seed: 1 }, 2, "x");
  expect(id.operator.perturbations).toBe(PERTURBATIONS_VERSION);
  expect(rolloutIdentity(config, { operator: "reference", format: "chat", seed: 1 }, 1, "x").operator.perturbations).toBeUndefined();
  const d = mkdtempSync(join(tmpdir(), "sekft-perturb-id-"));
  {
    using j = new RunJournal(join(d, "journal.jsonl"), id.run, d);
    j.claimPart("perturb", { ...id.operator, perturbations: "1" });
  }
  using j = new RunJournal(join(d, "journal.jsonl"), id.run, d);
  expect(() => j.claimPart("perturb", id.operator)).toThrow(`perturbations 1 ≠ ${PERTURBATIONS_VERSION}`);
});
