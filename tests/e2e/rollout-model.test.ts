// needs: docker
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";

const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-rollout-model-${p}-`));
// A training file with no line is not written (the manifest lists it as `empty`): it reads as no lines.
const jsonl = (f: string): any[] =>
  (existsSync(f) ? readFileSync(f, "utf8") : "")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const KEY = "sk-model-calls-0123456789abcdef";
const DEAD = "http://127.0.0.1:9/v1";

let bundles = "";
let bundle: any;

beforeAll(async () => {
  if (!DOCKER) return;
  bundles = tmp("bundles");
  const r = await runCli(["gen", "--track", "shell", "--count", "1", "--out", bundles, "--seed", "11"]);
  if (r.code !== 0) throw new Error(`gen --track shell failed: ${r.stderr}`);
  const dir = join(bundles, "shell/bundles");
  bundle = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith(".json"))!), "utf8"));
}, 300_000);

const rollout = (out: string, extra: string[], env: Record<string, string> = {}) =>
  runCli(["rollout", bundles, "--out", out, "--operator", "model", ...extra], { env: cleanEnv(env) });
/** A config file whose operator is the given server (no key). */
const operatorConfig = (out: string, url: string, model = "op") => {
  const cfg = join(out, "op.toml");
  writeFileSync(cfg, `[shell.operator]\nbase_url = "${url}"\nmodel = "${model}"\napi_key_env = ""\n`);
  return cfg;
};

describe("model operator requests", () => {
  testWith(
    DOCKER,
    "the transcript is sent as turns; a reply holding two commands runs the first and the next screen says so; the training lines hold neither",
    async () => {
      const reference: string[] = bundle.reference.map((s: any) => s.cmd);
      const server = await startFakeOpenAI((body) => {
        const turn = body.messages.filter((m: any) => m.role === "assistant").length;
        const content = turn === 0 ? `I will start here.\n\`\`\`sh\n${reference[0]}\nls -la /\n\`\`\`\nThen I read the rest.` : (reference[turn] ?? "exit");
        return { content, usage: { prompt_tokens: 20, completion_tokens: 4 } };
      });
      try {
        const out = tmp("turns");
        const r = await rollout(out, ["--config", operatorConfig(out, server.url)]);
        expect(r.code, r.stderr).toBe(0);
        const [t] = jsonl(join(out, "rollout/trajectories.jsonl"));
        expect(t.outcome).toBe("success");
        expect(t.turns[0].cmd).toBe(reference[0]);
        expect(t.turns[0].raw).toContain("ls -la /");

        // The second request: scaffold, login, the command as an assistant turn (in its fence), its screen as a user turn.
        const second = server.requests[1].messages;
        expect(second.map((m: any) => m.role)).toEqual(["system", "user", "assistant", "user"]);
        expect(second[0].content).toContain("You are operating a Linux shell");
        expect(second[1].content).toBe(t.login);
        expect(second[2].content).toBe(`\`\`\`sh\n${reference[0]}\n\`\`\``);
        expect(second[3].content).toBe(`[sekft] one command per turn: ran only the first\n${t.turns[0].output}`);
        // Every later request is the same alternation, one screen per user turn, ending on the latest screen.
        const last = server.requests.at(-1).messages;
        expect(last.map((m: any) => m.role)).toEqual(["system", "user", ...t.turns.flatMap(() => ["assistant", "user"])]);
        expect(last.at(-1).content).toBe(t.turns.at(-1).output);
        for (const [i, turn] of t.turns.slice(1).entries()) expect(last[2 * (i + 2)].content).toBe(turn.cmd);

        // What is recorded does not change: no note, no fence, no prose in the trajectory's outputs or the training lines.
        expect(JSON.stringify(t.turns.map((x: any) => x.output))).not.toContain("[sekft]");
        const sft = [...jsonl(join(out, "rollout/train.jsonl")), ...jsonl(join(out, "rollout/valid.jsonl"))];
        expect(sft).toHaveLength(1);
        expect(JSON.stringify(sft)).not.toContain("[sekft]");
        expect(sft[0].messages[1]).toEqual({ role: "assistant", content: reference[0] });

        // Tokens and seconds per call, per sample and in the summary.
        expect(t.calls).toHaveLength(server.requests.length);
        for (const c of t.calls) {
          expect(c).toMatchObject({ prompt_tokens: 20, completion_tokens: 4 });
          expect(c.seconds).toBeGreaterThanOrEqual(0);
        }
        expect(r.stderr).toMatch(/\d+ tokens \(\d+ prompt, \d+ completion\) in \d+ requests, [\d.]+s waiting on the model \([\d.]+s per request\)/);
        expect(server.modelListings).toBe(1);
      } finally {
        await server.close();
      }
    },
    300_000,
  );

  testWith(
    DOCKER,
    "a model repeating one failing command is stuck after rollout.stuck_repeats runs: a negative, not infra, not the turn budget",
    async () => {
      const server = await startFakeOpenAI(() => ({
        content: "```sh\ncat /etc/sekft-no-such-directive\n```",
        usage: { prompt_tokens: 5, completion_tokens: 3 },
      }));
      try {
        const out = tmp("stuck");
        const r = await rollout(out, ["--config", operatorConfig(out, server.url)]);
        expect(r.code, r.stderr).toBe(0);
        const [t] = jsonl(join(out, "rollout/trajectories.jsonl"));
        expect(t.outcome).toBe("stuck");
        expect(t.keep).toBe(false);
        expect(t.turns).toHaveLength(3);
        expect(server.requests).toHaveLength(3);
        expect(t.reason).toContain("stuck");
        const kto = jsonl(join(out, "rollout/kto.jsonl"));
        expect(kto).toHaveLength(1);
        expect(kto[0].label).toBe(false);
        expect(JSON.parse(readFileSync(join(out, "rollout/manifest.json"), "utf8")).counts).toMatchObject({ stuck: 1 });
        // A replay has no model and no repeat count: a stuck sample replays as one that ended without a terminal.
        const replay = await runCli(["verify", join(out, "rollout")], { env: cleanEnv() });
        expect(replay.code, replay.stderr).toBe(0);
      } finally {
        await server.close();
      }
    },
    300_000,
  );

  testWith(
    DOCKER,
    "--base-url, --model and --api-key-env override the config's operator table",
    async () => {
      const server = await startFakeOpenAI(() => ({ content: "exit" }));
      try {
        const out = tmp("flags");
        // The config names a dead endpoint, another model and an unset key: the flags must win over all three.
        const cfg = join(out, "op.toml");
        writeFileSync(cfg, `[shell.operator]\nbase_url = "${DEAD}"\nmodel = "from-config"\napi_key_env = "SEKFT_UNSET_KEY"\n`);
        const r = await rollout(out, ["--config", cfg, "--base-url", server.url, "--model", "from-flag", "--api-key-env", "SEKFT_OP_KEY"], {
          SEKFT_OP_KEY: KEY,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(server.requests.length).toBeGreaterThan(0);
        expect(server.requests.every((b) => b.model === "from-flag")).toBe(true);
        expect(server.authorizations.every((a) => a === `Bearer ${KEY}`)).toBe(true);
        expect(jsonl(join(out, "rollout/trajectories.jsonl"))[0].model).toBe("from-flag");
        expect(r.stderr + r.stdout).not.toContain(KEY);
      } finally {
        await server.close();
      }
    },
    300_000,
  );

  testWith(
    DOCKER,
    "preflight: a dead endpoint or an unknown model fails before the run with exit 2, naming the URL and never the key",
    async () => {
      const out = tmp("dead");
      const t0 = performance.now();
      const dead = await rollout(out, ["--base-url", DEAD, "--api-key-env", "SEKFT_OP_KEY"], { SEKFT_OP_KEY: KEY });
      expect(dead.code, dead.stderr).toBe(2);
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(dead.stderr).toContain(`the model endpoint at ${DEAD} is not reachable`);
      expect(dead.stderr + dead.stdout).not.toContain(KEY.slice(3, 15));
      expect(existsSync(join(out, "rollout"))).toBe(false);

      const server = await startFakeOpenAI(() => ({ content: "exit" }), { models: ["qwen2.5-coder-0.5b", "llama-3"] });
      try {
        const r = await rollout(out, ["--base-url", server.url, "--model", "qwen-typo", "--api-key-env", "SEKFT_OP_KEY"], { SEKFT_OP_KEY: KEY });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`the model qwen-typo is not served at ${server.url}; it serves: qwen2.5-coder-0.5b, llama-3`);
        expect(r.stderr + r.stdout).not.toContain(KEY.slice(3, 15));
        expect(server.requests).toHaveLength(0);
        expect(existsSync(join(out, "rollout"))).toBe(false);
      } finally {
        await server.close();
      }
    },
    120_000,
  );
});

describe("model flags and preflight of gen", () => {
  test("gen --author model: a dead teacher fails the preflight with exit 2 before any container, naming the URL, never the key", async () => {
    const out = tmp("gen-dead");
    const r = await runCli(["gen", "--track", "shell", "--author", "model", "--count", "1", "--out", out, "--base-url", DEAD, "--api-key-env", "SEKFT_T_KEY"], {
      env: cleanEnv({ SEKFT_T_KEY: KEY }),
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`the model endpoint at ${DEAD} is not reachable`);
    expect(r.stderr + r.stdout).not.toContain(KEY.slice(3, 15));
    expect(existsSync(join(out, "shell"))).toBe(false);
  });

  test("gen --author model --model: the flag reaches the teacher's preflight", async () => {
    const server = await startFakeOpenAI(() => ({ content: "{}" }), { models: ["teacher-a"] });
    try {
      const out = tmp("gen-model");
      const r = await runCli(
        ["gen", "--track", "shell", "--author", "model", "--out", out, "--base-url", server.url, "--model", "teacher-b", "--api-key-env", ""],
        {
          env: cleanEnv(),
        },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`the model teacher-b is not served at ${server.url}; it serves: teacher-a`);
    } finally {
      await server.close();
    }
  });

  test("the model flags are refused where no model is called, and a bad value names its flag", async () => {
    const gen = await runCli(["gen", "--track", "shell", "--model", "m"], { env: cleanEnv() });
    expect(gen.code).toBe(2);
    expect(gen.stderr).toContain("--base-url, --model and --api-key-env set the teacher of --track shell --author model");
    const ro = await runCli(["rollout", tmp("none"), "--operator", "reference", "--base-url", "http://x/v1"], { env: cleanEnv() });
    expect(ro.code).toBe(2);
    expect(ro.stderr).toContain("set the model of --operator model");
    const bad = await runCli(["rollout", tmp("none"), "--operator", "model", "--base-url", "not a url"], { env: cleanEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--base-url must be an http(s) URL");
  });
});
