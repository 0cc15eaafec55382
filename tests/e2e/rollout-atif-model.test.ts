// needs: docker harbor model
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, harborPython, testWith } from "../helpers/deps.ts";
import { modelInstalled, startModel, stopAllModels } from "../helpers/model.ts";

const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-atif-model-${p}-`));
const jsonl = (f: string): any[] =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const PYTHON = harborPython();

afterAll(stopAllModels);

describe("a model operator's trajectory in ATIF", () => {
  testWith(
    DOCKER && PYTHON !== undefined && modelInstalled("smollm2"),
    "SmolLM2 as the operator: Harbor's validator accepts the file; its steps carry the model's replies and each request's tokens",
    async () => {
      const bundles = tmp("bundles");
      const g = await runCli(["gen", "--track", "shell", "--count", "1", "--out", bundles, "--seed", "11"]);
      expect(g.code, g.stderr).toBe(0);
      const m = await startModel("smollm2");
      try {
        const out = tmp("out");
        const cfg = join(out, "operator.toml");
        writeFileSync(
          cfg,
          `[shell.operator]\nbase_url = "${m.url}"\nmodel = "${m.model}"\napi_key_env = ""\nconcurrency = 1\ntimeout_s = 300\n[rollout]\nmax_turns = 3\nreply_max_tokens = 64\n`,
        );
        const r = await runCli(["rollout", bundles, "--out", out, "--operator", "model", "--workers", "1", "--config", cfg], { env: cleanEnv() });
        expect(r.code, r.stderr).toBe(0);
        const dir = join(out, "rollout");
        const [t] = jsonl(join(dir, "trajectories.jsonl"));
        const file = join(dir, `atif/${t.bundle_id}-model-0/agent/trajectory.json`);
        const v = Bun.spawnSync([PYTHON!, "-m", "harbor.utils.trajectory_validator", file], { stdout: "pipe", stderr: "pipe" });
        expect(v.exitCode, v.stdout.toString() + v.stderr.toString()).toBe(0);

        const a = JSON.parse(readFileSync(file, "utf8"));
        expect(a.agent).toMatchObject({ name: "sekft-model", model_name: m.model, extra: { scaffold_version: "scaffold/1" } });
        const agent = a.steps.filter((s: any) => s.source === "agent");
        // One step per model request, each with its own tokens; they add up to the sample's ledger.
        expect(agent).toHaveLength(t.calls.length);
        for (const s of agent) expect(s.llm_call_count).toBe(1);
        const sum = (k: string) => agent.reduce((n: number, s: any) => n + s.metrics[k], 0);
        expect([sum("prompt_tokens"), sum("completion_tokens")]).toEqual([t.usage.prompt_tokens, t.usage.completion_tokens]);
        expect(a.final_metrics).toMatchObject({ total_prompt_tokens: t.usage.prompt_tokens, total_completion_tokens: t.usage.completion_tokens });
        expect(t.usage.prompt_tokens).toBeGreaterThan(0);
        // Each step holds the model's whole reply: a command's, the terminal's, or one that held no command.
        t.turns.forEach((turn: any, i: number) => {
          expect(agent[i].message).toBe(turn.raw);
          expect(agent[i].tool_calls[0].arguments.command).toBe(turn.cmd);
        });
        const last = agent.at(-1);
        if (t.terminal !== null) expect([last.message, last.tool_calls[0].arguments.command]).toEqual([t.terminal_raw, t.terminal]);
        else if (t.stop_raw !== undefined) expect([last.message, last.tool_calls]).toEqual([t.stop_raw, undefined]);
        for (const s of agent) expect(s.message.length).toBeGreaterThan(0);
        // The scaffold steers the model but is no step of the trajectory.
        expect(JSON.stringify(a)).not.toContain("Nobody will tell you");
        expect(a.extra.outcome).toBe(t.outcome);
      } finally {
        await m.stop();
      }
    },
    600_000,
  );
});
