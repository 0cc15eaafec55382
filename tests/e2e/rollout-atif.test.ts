// needs: docker harbor
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, harborPython, testWith } from "../helpers/deps.ts";

const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-atif-${p}-`));
const jsonl = (f: string): any[] =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const PYTHON = harborPython();

/** Harbor's own validator (`python -m harbor.utils.trajectory_validator FILE`): its exit code and what it said. */
function harborValidates(file: string): { code: number; said: string } {
  const r = Bun.spawnSync([PYTHON!, "-m", "harbor.utils.trajectory_validator", file], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, said: r.stdout.toString() + r.stderr.toString() };
}

let bundles = "";

beforeAll(async () => {
  if (!DOCKER || !PYTHON) return;
  bundles = tmp("bundles");
  const r = await runCli(["gen", "--track", "shell", "--count", "3", "--workers", "2", "--out", bundles, "--seed", "5"]);
  if (r.code !== 0) throw new Error(`gen --track shell failed: ${r.stderr}`);
}, 300_000);

describe("rollout trajectories in ATIF", () => {
  test("scripts/harbor.sh: python and compose fail until install made the venv; anything else is a usage error", () => {
    const harbor = (...args: string[]) =>
      Bun.spawnSync(["bash", join(ROOT, "scripts/harbor.sh"), ...args], { env: { ...cleanEnv(), XDG_CACHE_HOME: tmp("cache") } });
    for (const cmd of ["python", "compose"]) {
      const missing = harbor(cmd);
      expect([missing.exitCode, missing.stderr.toString()]).toEqual([1, "harbor: not installed: run scripts/harbor.sh install\n"]);
    }
    for (const args of [[], ["bogus"], ["install", "extra"]]) {
      const r = harbor(...args);
      expect([r.exitCode, r.stderr.toString()]).toEqual([1, "harbor: usage: scripts/harbor.sh install|python|compose\n"]);
    }
  });

  testWith(
    DOCKER && PYTHON !== undefined,
    "reference + perturb: one trajectory.json per sample, in the manifest; Harbor's validator accepts each and refuses a broken one; verify names an edited one",
    async () => {
      const out = tmp("out");
      for (const op of [
        ["--operator", "reference"],
        ["--operator", "perturb", "--samples", "2"],
      ]) {
        const r = await runCli(["rollout", join(bundles, "shell"), "--out", out, ...op, "--workers", "2"]);
        expect(r.code, r.stderr).toBe(0);
      }
      const dir = join(out, "rollout");
      const trajectories = jsonl(join(dir, "trajectories.jsonl"));
      expect(new Set(trajectories.map((t) => t.operator))).toEqual(new Set(["reference", "perturb"]));
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      const listed = Object.keys(manifest.files).filter((f) => f.startsWith("atif/"));
      const onDisk = readdirSync(join(dir, "atif"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("trajectory.json"));
      expect(listed.sort()).toEqual(onDisk.map((f) => `atif/${f}`).sort());
      expect(listed).toHaveLength(trajectories.length);

      for (const t of trajectories) {
        const file = join(dir, `atif/${t.bundle_id}-${t.operator}-${t.sample}/agent/trajectory.json`);
        const v = harborValidates(file);
        expect(v.code, v.said).toBe(0);
        expect(v.said).toContain("Trajectory is valid");
        const a = JSON.parse(readFileSync(file, "utf8"));
        expect(a.schema_version).toBe("ATIF-v1.8");
        expect(a.agent).toMatchObject({ name: `sekft-${t.operator}`, version: manifest.sekft_version, model_name: t.model });
        expect(a.agent.tool_definitions[0].function.name).toBe("run_command");
        // The commands as calls, in order, each screen the observation of its own call; the terminal last.
        const calls = a.steps.flatMap((s: any) => s.tool_calls ?? []).map((c: any) => c.arguments.command);
        expect(calls).toEqual([...t.turns.map((x: any) => x.cmd), ...(t.terminal === null ? [] : [t.terminal])]);
        const screens = a.steps.flatMap((s: any) => s.observation?.results ?? []).map((r: any) => r.content);
        expect(screens).toEqual(t.turns.map((x: any) => x.output));
        expect(a.steps[0]).toMatchObject({ step_id: 1, source: "user", message: t.login });
        for (const s of a.steps) if (s.timestamp) expect(Date.parse(s.timestamp)).toBeGreaterThan(0);
        expect(a.steps.slice(1).every((s: any) => s.timestamp)).toBe(true);
        expect(a.extra).toMatchObject({ outcome: t.outcome, keep: t.keep, bundle_id: t.bundle_id });
      }

      // The validator can fail: a step id out of order, and an observation answering a call its step does not make.
      const first = trajectories[0]!;
      // One with a screen to answer (an `exit-at-once` sample has none).
      const seen = trajectories.find((t) => t.turns.length > 0)!;
      const good = JSON.parse(readFileSync(join(dir, `atif/${seen.bundle_id}-${seen.operator}-${seen.sample}/agent/trajectory.json`), "utf8"));
      const broken = join(tmp("broken"), "trajectory.json");
      writeFileSync(broken, JSON.stringify({ ...good, steps: good.steps.map((s: any, i: number) => ({ ...s, step_id: i === 1 ? 7 : s.step_id })) }));
      const b1 = harborValidates(broken);
      expect(b1.code).toBe(1);
      expect(b1.said).toContain("expected 2");
      const orphan = structuredClone(good);
      const withObs = orphan.steps.find((s: any) => s.observation);
      withObs.observation.results[0].source_call_id = "call_99";
      writeFileSync(broken, JSON.stringify(orphan));
      const b2 = harborValidates(broken);
      expect(b2.code).toBe(1);
      expect(b2.said).toContain("call_99");

      // verify checks every ATIF file against its trajectory line: an edited one fails, naming the file and line.
      const ok = await runCli(["verify", dir, "--sample", "1"]);
      expect(ok.code, ok.stderr).toBe(0);
      const edited = join(dir, `atif/${first.bundle_id}-${first.operator}-${first.sample}/agent/trajectory.json`);
      const a = JSON.parse(readFileSync(edited, "utf8"));
      a.extra.outcome = a.extra.outcome === "success" ? "wrong-state" : "success";
      writeFileSync(edited, JSON.stringify(a));
      const bad = await runCli(["verify", dir, "--sample", "1"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(
        `${first.bundle_id}-${first.operator}-${first.sample}/agent/trajectory.json: differs from what its trajectories.jsonl line gives`,
      );
      expect(bad.stderr).toContain("trajectories.jsonl:1)");
    },
    600_000,
  );
});
