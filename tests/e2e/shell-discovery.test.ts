// needs: docker
import { expect } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { labelled } from "../helpers/docker.ts";
import { unseenFact } from "../helpers/seen.ts";

const DISCOVERY: Record<string, RegExp> = {
  login_banner: /^$/,
  motd: /^cat \/etc\/motd$/,
  env_var: /^cat \/etc\/motd\nenv$/,
  home_file: /^cat \/etc\/motd\nenv\nls( -a)?( ~)?\ncat \S+$/,
};

const DOCKER = dockerPresent();

testWith(
  DOCKER,
  "every reference shows discovery misses before the hit and uses no name or flag it has not seen (real screens)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "sekft-discovery-"));
    const gen = await runCli(["gen", "--track", "shell", "--count", "12", "--workers", "2", "--out", dir, "--seed", "11"]);
    expect(gen.code).toBe(0);
    const ref = await runCli(["rollout", dir, "--out", dir, "--operator", "reference", "--workers", "2"]);
    expect(ref.code).toBe(0);
    const runs = readFileSync(join(dir, "rollout/trajectories.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(runs).toHaveLength(12);
    const unseen: string[] = [];
    for (const t of runs) {
      expect(t.outcome).toBe("success");
      const cmds: string[] = t.turns.map((x: { cmd: string }) => x.cmd);
      // Discovery runs in the fixed order login → motd → env → home and stops at the channel holding the pointer.
      const discovery = cmds.slice(0, { login_banner: 0, motd: 1, env_var: 2, home_file: 4 }[t.cell.announcement as string]);
      expect(discovery.join("\n")).toMatch(DISCOVERY[t.cell.announcement]!);
      // A miss really missed: the motd read before the hit does not hold the pointer the hit gives.
      if (discovery.length > 1) expect(t.turns[0].output).not.toMatch(/directive|queue|pending|work/i);
      // `man X` for a provider tool comes after `X --help` unless a screen named the manual.
      for (const [i, cmd] of cmds.entries()) {
        const m = /^man (\S+)$/.exec(cmd);
        const before = [t.login, ...t.turns.slice(0, i).map((x: { output: string }) => x.output)].join("\n");
        if (m && !before.includes(`${m[1]}(1)`) && !before.includes(`man ${m[1]}`)) expect(cmds.slice(0, i)).toContain(`${m[1]} --help`);
      }
      let shown = t.login;
      for (const turn of t.turns) {
        const why = unseenFact(turn.cmd, shown);
        if (why) unseen.push(`${t.bundle_id}: \`${turn.cmd}\` uses ${why}`);
        shown += `\n${turn.output}`;
      }
    }
    expect(unseen).toEqual([]);
    expect(await labelled()).toBe(0);
  },
  600_000,
);
