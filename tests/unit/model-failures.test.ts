import { describe, expect, test } from "bun:test";
import { COVERED_BY, KINDS, kindsOf, summarise, writes } from "../../bench/model-failures.ts";
import type { Outcome, Trajectory } from "../../src/rollout/record.ts";
import { PERTURBATIONS } from "../../src/rollout/perturb.ts";
import type { Bundle } from "../../src/shell/bundle.ts";

const W = "/home/op/work/t";
function bundle(difficulty: string, steps: [string, boolean?][], decoy: string[] = []): Bundle {
  const terminal = steps.at(-1)![0].startsWith("panic") ? "panic" : "exit";
  return {
    id: "0123456789abcdef01234567",
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
const single = bundle("single", [...reading, [`chmod 750 ${W}/run.sh`, true], ["exit"]]);
const blocked = bundle("blocked", [...reading, [`chmod 750 ${W}/run.sh`, true], ["panic 'cannot: denied'"]]);
const empty = bundle("empty_queue", [...reading, ["exit"]], [`rm -rf ${W}/cache`]);

/** A sample: [command, exit code, output] turns, its terminal and outcome. */
function sample(turns: [string, number?, string?][], terminal: string | null, outcome: Outcome) {
  return {
    login: "Linux host\n",
    turns: turns.map(([cmd, exit_code = 0, output = ""]) => ({ cmd, exit_code, output, truncated: false, ms: 1 })),
    terminal,
    outcome,
  };
}

describe("failure kinds", () => {
  test("a success has none", () => {
    expect(kindsOf(sample([["cat /etc/motd"], ["jobs -l"], [`chmod 750 ${W}/run.sh`]], "exit", "success"), single)).toEqual([]);
  });

  test("the same failing command three times in a row is a loop; twice is not", () => {
    const cat = ["cat directives.txt", 1, "cat: directives.txt: No such file or directory"] as [string, number, string];
    expect(kindsOf(sample([cat, cat, cat], null, "no-terminal"), single)[0]).toBe("loop");
    expect(kindsOf(sample([cat, ["ls"], cat], null, "no-terminal"), single)).toEqual(["no-terminal"]);
    expect(kindsOf(sample([cat, cat], null, "stuck"), single)[0]).toBe("loop");
  });

  test("sudo and curl are invented tools whatever they exit; a 127 for a name the screens showed is not", () => {
    expect(kindsOf(sample([["sudo apt-get update", 1]], "exit", "wrong-state"), single)).toContain("invented-tool");
    expect(kindsOf(sample([["jobs -l"], ["curl http://x/", 127]], "exit", "wrong-state"), single)).toContain("invented-tool");
    expect(kindsOf(sample([["tasktool list", 127, "sh: tasktool: not found"]], "exit", "wrong-state"), single)).toContain("invented-tool");
    // `jobs` was on the motd's screen: a 127 for it is a broken tool, not one the model made up.
    const shown = sample(
      [["cat /etc/motd", 0, "run jobs to see your queue"], ["jobs -l", 127, "not found"], ["jobs -l"], [`chmod 750 ${W}/run.sh`]],
      "exit",
      "wrong-state",
    );
    expect(kindsOf(shown, single)).toEqual(["wrong-state"]);
  });

  test("a line of the last screen sent back as a command is echoing the screen", () => {
    const t = sample(
      [
        ["whatsnext", 2, "whatsnext: missing argument"],
        ["whatsnext: missing argument", 127, "sh: 1: whatsnext:: not found"],
      ],
      null,
      "no-terminal",
    );
    expect(kindsOf(t, single)).toEqual(["echo-screen", "no-terminal"]);
    // The same words typed after another screen are not an echo.
    const u = sample(
      [["whatsnext", 2, "whatsnext: missing argument"], ["ls"], ["whatsnext: missing argument", 127, "sh: 1: whatsnext:: not found"]],
      null,
      "no-terminal",
    );
    expect(kindsOf(u, single)).toEqual(["no-terminal"]);
  });

  test("a write before the directives are read is acting before reading; after them it is not", () => {
    expect(kindsOf(sample([[`chmod 750 ${W}/run.sh`], ["jobs -l"]], "exit", "wrong-state"), single)[0]).toBe("act-before-read");
    expect(kindsOf(sample([["echo hi > notes.txt"]], "exit", "wrong-state"), single)[0]).toBe("act-before-read");
    expect(kindsOf(sample([["jobs -l"], [`chmod 755 ${W}/run.sh`]], "exit", "wrong-state"), single)).toEqual(["wrong-state"]);
  });

  test("the terminal against the bundle's: exit where panic is right, give up, panic after work", () => {
    expect(kindsOf(sample([["jobs -l"], [`chmod 750 ${W}/run.sh`]], "exit", "wrong-terminal"), blocked)).toEqual(["exit-not-panic"]);
    expect(kindsOf(sample([["jobs -l"]], "panic 'no idea'", "wrong-terminal"), single)).toEqual(["give-up"]);
    expect(kindsOf(sample([["jobs -l"], [`chmod 750 ${W}/run.sh`]], "panic 'no'", "wrong-terminal"), single)).toEqual(["panic-not-exit"]);
  });

  test("a write on an empty queue after reading it is acting on it; no write and a wrong state is wrong-state", () => {
    expect(kindsOf(sample([["jobs -l"], [`rm -rf ${W}/cache`]], "exit", "wrong-state"), empty)).toEqual(["act-on-empty"]);
    expect(kindsOf(sample([["jobs -l"], [`chmod 755 ${W}/run.sh`]], "exit", "wrong-state"), single)).toEqual(["wrong-state"]);
  });

  test("exit with none of the work done is exiting early; on an empty queue it is success or wrong-state", () => {
    expect(kindsOf(sample([], "exit", "wrong-state"), single)).toEqual(["exit-early"]);
    expect(kindsOf(sample([["jobs -l"]], "exit", "wrong-state"), single)).toEqual(["exit-early"]);
    expect(kindsOf(sample([["jobs -l"]], "exit", "wrong-state"), empty)).toEqual(["wrong-state"]);
  });

  test("writes: programs, redirections to files; not reads or stderr to /dev/null", () => {
    expect(writes("ls -la 2>/dev/null")).toBe(false);
    expect(writes("cat a | grep x >&2")).toBe(false);
    expect(writes("echo 'a > b'")).toBe(false);
    expect(writes("sha256sum a b > SHA256SUMS")).toBe(true);
    expect(writes("cd /tmp && mkdir x")).toBe(true);
    expect(writes("sed -i s/a/b/ f")).toBe(true);
  });

  test("each kind's perturbations exist; the summary counts primary kinds and where they are offered", () => {
    for (const k of KINDS) for (const p of COVERED_BY[k]) expect(PERTURBATIONS[p], `${k} -> ${p}`).toBeDefined();
    const t = (s: ReturnType<typeof sample>) => s as unknown as Trajectory;
    const s = summarise([
      { t: t(sample([["jobs -l"]], "exit", "success")), b: single },
      {
        t: t(
          sample(
            [
              ["x", 127],
              ["x", 127],
              ["x", 127],
            ],
            null,
            "stuck",
          ),
        ),
        b: single,
      },
      { t: t(sample([["jobs -l"]], "exit", "infra-error")), b: single },
    ]);
    expect(s).toMatchObject({ samples: 2, success: 1, primary: { loop: 1 }, any: { loop: 1, "invented-tool": 1, "no-terminal": 1 } });
    // The success ran `jobs -l` (the directives); the loop never did.
    expect(s.unread).toEqual({ loop: 1 });
  });
});
