// needs: docker
import { afterAll, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";

// The exported check (tests/test.sh) in the task's own image, driven with plain docker the way Harbor drives it:
// the agent's commands as uid 1000, then tests/ copied in and test.sh run as root. What the agent leaves running
// must not decide the reward, and a link in /home/op is refused as sekft's checker refuses it.

const DOCKER = dockerPresent();
const containers: string[] = [];

function docker(...args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(["docker", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: `${r.stdout.toString()}${r.stderr.toString()}`.trim() };
}

afterAll(() => {
  for (const c of containers) docker("rm", "-f", c);
});

/** A fresh container of the task's image, as Harbor's compose file starts it (PID 1 root, no network). */
function start(image: string, task: string): string {
  const run = docker("run", "-d", "--network", "none", "--user", "0:0", image, "sleep", "600");
  expect(run.code, run.out).toBe(0);
  containers.push(run.out);
  expect(docker("cp", join(task, "solution"), `${run.out}:/solution`).code).toBe(0);
  return run.out;
}

/** Harbor's verifier step: tests/ uploaded after the agent, test.sh run as root; returns the reward it wrote. */
function verify(c: string, task: string): string {
  expect(docker("cp", join(task, "tests"), `${c}:/tests`).code).toBe(0);
  const r = docker("exec", "-u", "0", c, "sh", "/tests/test.sh");
  expect(r.code, r.out).toBe(0);
  return docker("exec", c, "cat", "/logs/verifier/reward.txt").out;
}

testWith(
  DOCKER && existsSync("/bin/bash-static"),
  "the exported check: the reference scores 1; a loop forging the reward and a symlink in /home/op score 0",
  async () => {
    const out = mkdtempSync(join(tmpdir(), "sekft-harbor-check-"));
    const gen = await runCli(["gen", "--track", "shell", "--count", "1", "--seed", "4", "--out", join(out, "gen")]);
    expect(gen.code, gen.stderr).toBe(0);
    const exp = await runCli(["export", "harbor", join(out, "gen"), "--out", join(out, "tasks")]);
    expect(exp.code, exp.stderr).toBe(0);
    const [id] = readdirSync(join(out, "tasks"));
    const task = join(out, "tasks", id!);
    const difficulty = /^difficulty = "(.*)"$/m.exec(readFileSync(join(task, "task.toml"), "utf8"))![1];
    // Seed 4's one cell has work to do, so doing nothing scores 0.
    expect(difficulty).not.toBe("empty_queue");
    const image = `sekft-harbor-check:${id}`;
    const build = docker("build", "-q", "-t", image, join(task, "environment"));
    expect(build.code, build.out).toBe(0);
    try {
      // The reference as the agent: reward 1.
      const good = start(image, task);
      const solve = docker("exec", "-u", "1000", good, "sh", "/solution/solve.sh");
      expect(solve.code, solve.out).toBe(0);
      expect(verify(good, task)).toBe("1");

      // The agent leaves a loop writing reward 1 and does nothing else: it is killed before the reward is written.
      const forged = start(image, task);
      docker("exec", "-u", "0", forged, "sh", "-c", "mkdir -p /logs/verifier && chmod 777 /logs/verifier");
      const loop = "while :; do rm -f /logs/verifier/reward.txt; echo 1 > /logs/verifier/reward.txt; sleep 0.01; done";
      expect(docker("exec", "-d", "-u", "1000", forged, "sh", "-c", loop).code).toBe(0);
      Bun.sleepSync(300);
      expect(verify(forged, task)).toBe(difficulty === "empty_queue" ? "1" : "0");
      // Nothing of uid 1000 is left running after the check (a killed child of the killed loop stays a zombie of PID 1).
      const alive = 'for d in /proc/[0-9]*; do [ "$(stat -c %u $d)" = 1000 ] && [ "$(cut -d" " -f3 $d/stat)" != Z ] && echo "$d"; done; true';
      expect(docker("exec", forged, "sh", "-c", alive).out).toBe("");

      // The reference, then a symlink in the operator's tree: refused by the checker's link guard.
      const linked = start(image, task);
      docker("exec", "-u", "1000", linked, "sh", "/solution/solve.sh");
      expect(docker("exec", "-u", "1000", linked, "ln", "-s", "/etc/passwd", "/home/op/innocent").code).toBe(0);
      expect(verify(linked, task)).toBe("0");
    } finally {
      docker("rmi", "-f", image);
    }
  },
  300_000,
);
