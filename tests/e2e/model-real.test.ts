// needs: witness docker model
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OUTCOMES } from "../../src/rollout/record.ts";
import { CellSchema } from "../../src/shell/bundle.ts";
import { readBundle } from "../../src/shell/store.ts";
import { binCommand, type CliResult, cleanEnv, ROOT } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { labelled } from "../helpers/docker.ts";
import { modelInstalled, type RunningModel, startModel, stopAllModels } from "../helpers/model.ts";

// A real model on loopback (scripts/model.sh, one thread): tolerant of what it says, strict about what sekft does with it.
const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-model-${p}-`));
// A training file with no line is not written (the manifest lists it as `empty`): it reads as no lines.
const jsonl = (f: string): any[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

afterAll(stopAllModels);

/** Runs the CLI and keeps its pid, so only this run's containers are counted (other runs may share the engine). */
async function run(args: string[], env: Record<string, string>): Promise<CliResult & { pid: number }> {
  const proc = Bun.spawn([...binCommand(), ...args], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 600_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr, pid: proc.pid };
}

/** Every regular file under dir. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** Stops the server and checks that it no longer answers. */
async function stopAndCheck(m: RunningModel): Promise<void> {
  await m.stop();
  await expect(fetch(`${m.url}/models`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
}

describe("a real model in the loop", () => {
  test("scripts/model.sh names what is missing: an unknown model, a model not installed, a bad flag", () => {
    const model = (...args: string[]) =>
      Bun.spawnSync(["bash", join(ROOT, "scripts/model.sh"), ...args], { env: { ...cleanEnv(), SEKFT_TOOLS_DIR: tmp("tools") } });
    const unknown = model("install", "nope");
    expect([unknown.exitCode, unknown.stderr.toString()]).toEqual([1, "model: unknown model 'nope' (known: smollm2, qwen)\n"]);
    const missing = model("serve", "qwen", "--port", "0");
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.toString()).toContain("qwen is not installed: run 'bash scripts/model.sh install qwen'");
    expect(model("serve", "smollm2", "--bogus").exitCode).toBe(1);
    expect(model("path", "smollm2").exitCode).toBe(1);
  });

  testWith(
    DOCKER && modelInstalled("smollm2"),
    "teacher authoring with SmolLM2: exit 0 or 1, valid bundles and rejects, no container left, the key in no file",
    async () => {
      const m = await startModel("smollm2");
      try {
        const dir = tmp("teacher");
        const out = join(dir, "out");
        const cfg = join(dir, "teacher.toml");
        const secret = "sk-test-model-real-7f3a9c";
        // Two replies at most: a 135M model seldom writes a valid bundle, and each reply may run to the context's end.
        writeFileSync(cfg, `[shell.teacher]\nbase_url = "${m.url}"\nmodel = "${m.model}"\nmax_attempts = 2\nconcurrency = 1\ntimeout_s = 300\n`);
        const r = await run(
          ["gen", "--track", "shell", "--author", "model", "--count", "1", "--workers", "1", "--out", out, "--config", cfg],
          cleanEnv({ OPENAI_API_KEY: secret }),
        );
        expect([0, 1], r.stderr).toContain(r.code);
        expect(r.stderr).not.toMatch(/^\s+at /m); // a typed error, never a stack trace

        const shell = join(out, "shell");
        const manifest = JSON.parse(readFileSync(join(shell, "manifest.json"), "utf8"));
        expect(manifest.track).toBe("shell");
        const bundles = readdirSync(join(shell, "bundles"))
          .filter((f) => f.endsWith(".json"))
          .map((f) => readBundle(join(shell, "bundles", f)));
        const rejects = existsSync(join(shell, "rejects.jsonl")) ? jsonl(join(shell, "rejects.jsonl")) : [];
        if (r.code === 0) expect(bundles).toHaveLength(1);
        else {
          expect(bundles).toHaveLength(0);
          expect(rejects.length).toBeGreaterThan(0);
          expect(r.stderr).toContain("rejects.jsonl");
        }
        for (const b of bundles) {
          expect(b.author).toMatchObject({ kind: "model", model: m.model });
          expect(b.gate.passed).toBe(true);
        }
        for (const x of rejects) {
          expect(CellSchema.safeParse(x.cell).success).toBe(true);
          expect(x.author).toBe(`model:${m.model}`);
          expect(["author", "validate", "gate"]).toContain(x.stage);
          expect(typeof x.reason).toBe("string");
          expect(x.reason.length).toBeGreaterThan(0);
        }

        for (const f of filesUnder(dir)) expect(readFileSync(f, "utf8"), f).not.toContain(secret);
        expect(r.stdout + r.stderr).not.toContain(secret);
        expect(await labelled(r.pid)).toBe(0);
      } finally {
        await stopAndCheck(m);
      }
    },
    600_000,
  );

  testWith(
    DOCKER && modelInstalled("qwen"),
    "model rollouts with Qwen2.5 Coder 0.5B on two builtin bundles: every sample labelled, valid records that replay, nothing left",
    async () => {
      const bundles = tmp("bundles");
      const g = await run(["gen", "--track", "shell", "--count", "2", "--workers", "1", "--out", bundles], cleanEnv());
      expect(g.code, g.stderr).toBe(0);
      const ids = readdirSync(join(bundles, "shell/bundles"))
        .filter((f) => f.endsWith(".json"))
        .map((f) => readBundle(join(bundles, "shell/bundles", f)).id)
        .sort();
      expect(ids).toHaveLength(2);

      const m = await startModel("qwen");
      try {
        const out = tmp("rollout");
        const cfg = join(out, "operator.toml");
        // Short samples keep one-thread inference (about 18 tokens/s) within a few minutes.
        writeFileSync(
          cfg,
          `[shell.operator]\nbase_url = "${m.url}"\nmodel = "${m.model}"\napi_key_env = ""\nconcurrency = 1\ntimeout_s = 300\n[rollout]\nmax_turns = 6\nreply_max_tokens = 96\n`,
        );
        const r = await run(["rollout", bundles, "--out", out, "--operator", "model", "--samples", "1", "--workers", "1", "--config", cfg], cleanEnv());
        expect(r.code, r.stderr).toBe(0);
        expect(await labelled(r.pid)).toBe(0);

        const dir = join(out, "rollout");
        const trajectories = jsonl(join(dir, "trajectories.jsonl"));
        expect(trajectories.map((t) => t.bundle_id).sort()).toEqual(ids);
        for (const t of trajectories) {
          expect([t.operator, t.model, t.sample]).toEqual(["model", m.model, 0]);
          // A healthy endpoint: whatever the model said, the sample is decided (a slow machine may see `timeout`), never an infra error.
          expect(OUTCOMES.filter((o) => o !== "infra-error")).toContain(t.outcome);
          expect(t.keep).toBe(t.outcome === "success");
          expect(t.turns.length).toBeLessThanOrEqual(6);
          if (["no-terminal", "timeout", "stuck"].includes(t.outcome)) expect(t.terminal).toBeNull();
          else expect(t.terminal).toMatch(/^(exit|panic)\b/);
          expect(t.checker).toMatchObject({ exit_code: expect.any(Number), output: expect.any(String) });
          expect(t.usage.prompt_tokens).toBeGreaterThan(0);
          expect(t.usage.completion_tokens).toBeGreaterThan(0);
          for (const turn of t.turns) expect(typeof turn.cmd).toBe("string");
        }
        // The journal decided each sample once, with the same outcome.
        const decided = jsonl(join(dir, "journal.jsonl")).filter((e) => typeof e.key === "string");
        expect(decided.map((e) => [e.key, e.outcome]).sort()).toEqual(trajectories.map((t) => [t.key, t.outcome]).sort());
        const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
        expect(manifest.counts.samples).toBe(2);
        const sft = [...jsonl(join(dir, "train.jsonl")), ...jsonl(join(dir, "valid.jsonl"))];
        expect(sft).toHaveLength(trajectories.filter((t) => t.keep).length);
        for (const line of [...sft, ...jsonl(join(dir, "kto.jsonl"))]) expect(JSON.stringify(line)).not.toContain("Nobody will tell you");

        // The records replay: verify re-runs each sample's commands and finds the recorded outcome.
        const v = await run(["verify", out], cleanEnv());
        expect(v.code, v.stderr).toBe(0);
        expect(await labelled(v.pid)).toBe(0);
      } finally {
        await stopAndCheck(m);
      }
    },
    900_000,
  );

  testWith(
    DOCKER && modelInstalled("qwen"),
    "eval with Qwen2.5 Coder 0.5B: two witness questions proven in the sandbox and one shell bundle rolled out, reports with every answer judged",
    async () => {
      const data = tmp("eval-data");
      const g = await run(["gen", "--config", join(ROOT, "fixtures/configs/witness-fast.toml"), "--count", "3", "--workers", "1", "--out", data], cleanEnv());
      expect(g.code, g.stderr).toBe(0);
      // A split with no line has no file.
      const lines = ["train.jsonl", "valid.jsonl"]
        .filter((f) => existsSync(join(data, "witness", f)))
        .flatMap((f) =>
          readFileSync(join(data, "witness", f), "utf8")
            .split("\n")
            .filter(Boolean),
        );
      const held = join(tmp("eval-held"), "held.jsonl");
      writeFileSync(held, `${lines.slice(0, 2).join("\n")}\n`);
      const bundles = tmp("eval-bundles");
      const b = await run(["gen", "--track", "shell", "--count", "1", "--workers", "1", "--out", bundles], cleanEnv());
      expect(b.code, b.stderr).toBe(0);

      const m = await startModel("qwen");
      try {
        const cfg = join(tmp("eval-cfg"), "eval.toml");
        writeFileSync(cfg, `[eval]\nconcurrency = 1\ntimeout_s = 300\nmax_tokens = 384\n[rollout]\nmax_turns = 4\nreply_max_tokens = 96\n`);
        const flags = ["--base-url", m.url, "--model", m.model, "--api-key-env", "", "--workers", "1", "--config", cfg];
        const out = tmp("eval-witness");
        const w = await run(["eval", held, "--out", out, "--json", ...flags], cleanEnv());
        expect(w.code, w.stderr).toBe(0);
        const report = JSON.parse(w.stdout.trim().split("\n").at(-1)!);
        expect(report).toMatchObject({
          type: "sekft-eval",
          track: "witness",
          model: m.model,
          questions: 2,
          answers: 2,
          scored: 2,
          infra_errors: 0,
          runner: "sandbox",
        });
        expect(report.overall.pass_at_1).toBeGreaterThanOrEqual(0);
        expect(report.overall.pass_at_1).toBeLessThanOrEqual(1);
        const answers = jsonl(join(out, "answers.jsonl"));
        expect(answers).toHaveLength(2);
        for (const a of answers) {
          expect(typeof a.ok).toBe("boolean");
          if (!a.ok) expect(typeof a.cause).toBe("string");
        }
        expect(await labelled(w.pid)).toBe(0);

        const sout = tmp("eval-shell");
        const s = await run(["eval", bundles, "--out", sout, "--json", ...flags], cleanEnv());
        expect(s.code, s.stderr).toBe(0);
        const shell = JSON.parse(s.stdout.trim().split("\n").at(-1)!);
        expect(shell).toMatchObject({ type: "sekft-eval", track: "shell", bundles: 1, samples_run: 1, infra_errors: 0 });
        expect(Object.keys(shell.by_axis).sort()).toEqual(["announcement", "difficulty", "doc_depth", "provider", "task"]);
        expect(await labelled(s.pid)).toBe(0);
      } finally {
        await stopAndCheck(m);
      }
    },
    900_000,
  );
});
