// needs: docker
import { beforeAll, describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";
import { type FakeHandler, startFakeOpenAI } from "../helpers/openai-server.ts";

const DOCKER = dockerPresent();
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-rollout-infra-${p}-`));
// A training file with no line is not written (the manifest lists it as `empty`): it reads as no lines.
const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, "utf8") : "").split("\n").filter(Boolean);
const OUTPUTS = ["trajectories.jsonl", "train.jsonl", "valid.jsonl", "dpo.jsonl", "kto.jsonl"];

let bundles = "";
let bundleList: any[] = [];

beforeAll(async () => {
  if (!DOCKER) return;
  bundles = tmp("bundles");
  const r = await runCli(["gen", "--track", "shell", "--count", "2", "--workers", "2", "--out", bundles, "--seed", "7"]);
  if (r.code !== 0) throw new Error(`gen --track shell failed: ${r.stderr}`);
  const dir = join(bundles, "shell/bundles");
  bundleList = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}, 300_000);

/** Which bundle a request is about: its login text is in the first screen. */
const bundleOf = (body: any) => bundleList.find((b) => JSON.stringify(body.messages).includes(JSON.stringify(b.login_text).slice(1, -1)));
const overloaded = () => Response.json({ error: { message: "overloaded" } });
/** A good operator: the bundle's reference, one command per reply. */
const reference = (body: any) => {
  const turn = body.messages.filter((m: any) => m.role === "assistant").length;
  return { content: bundleOf(body).reference[turn]?.cmd ?? "exit", usage: { prompt_tokens: 10, completion_tokens: 2 } };
};

describe("model operator against a failing endpoint", () => {
  testWith(
    DOCKER,
    "200 error bodies: the run exits 1, the journal says infra-error, no training line; a rerun decides only those samples",
    async () => {
      expect(bundleList).toHaveLength(2);
      const [kept, failing] = bundleList;
      expect(kept.login_text).not.toBe(failing.login_text);
      const out = tmp("out");
      const dir = join(out, "rollout");
      // One server for the three runs: the endpoint is part of the operator's recorded settings, so it must not move.
      let handler: FakeHandler = overloaded;
      const server = await startFakeOpenAI((...args) => handler(...args));
      const cfg = join(out, "op.toml");
      writeFileSync(cfg, `[shell.operator]\nbase_url = "${server.url}"\nmodel = "op"\napi_key_env = ""\nmax_attempts = 2\n`);
      const rollout = async (h: FakeHandler) => {
        handler = h;
        const before = server.requests.length;
        const r = await runCli(["rollout", bundles, "--out", out, "--operator", "model", "--config", cfg], { env: cleanEnv() });
        return { ...r, url: server.url, requests: server.requests.slice(before) };
      };
      // Sample entries only: the journal opens with the run's identity and the operator's settings.
      const journal = () =>
        lines(join(dir, "journal.jsonl"))
          .map((l) => JSON.parse(l))
          .filter((t) => "key" in t);
      const mentions = (b: any) => (line: string) => line.includes(JSON.stringify(b.login_text).slice(1, -1)) || line.includes(b.id);

      // 1. Every request answers 200 {"error": …}: each sample is tried max_attempts (2) times, then infra-error.
      const first = await rollout(overloaded);
      expect(first.code, first.stderr).toBe(1);
      expect(first.requests).toHaveLength(2 * 2);
      expect(first.stderr).toContain(`the model op at ${first.url} answered no chat completion (after 2 tries): an error body: overloaded`);
      expect(first.stderr).toContain("2 samples hit infrastructure errors");
      expect(journal().map((t) => t.outcome)).toEqual(["infra-error", "infra-error"]);
      for (const f of OUTPUTS) expect(lines(join(dir, f)), f).toEqual([]);

      // 2. The endpoint answers for one bundle only: that one is decided, the other stays out of every file.
      const second = await rollout((body) => (bundleOf(body) === kept ? reference(body) : overloaded()));
      expect(second.code, second.stderr).toBe(1);
      const decided = journal().filter((t) => t.outcome !== "infra-error");
      expect(decided.map((t) => t.bundle_id)).toEqual([kept.id]);
      expect(decided[0].outcome).toBe("success");
      for (const f of OUTPUTS) expect(lines(join(dir, f)).filter(mentions(failing)), f).toEqual([]);
      expect(lines(join(dir, "train.jsonl")).length + lines(join(dir, "valid.jsonl")).length).toBe(1);

      // 3. A healthy endpoint: only the failing bundle's sample runs again; the decided one is not asked for.
      const third = await rollout(reference);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stderr).toContain("resuming");
      expect(third.requests.length).toBeGreaterThan(0);
      expect(third.requests.every((body) => bundleOf(body) === failing)).toBe(true);
      expect(journal().filter((t) => t.bundle_id === kept.id && t.outcome !== "infra-error")).toHaveLength(1);
      const trajectories = lines(join(dir, "trajectories.jsonl")).map((l) => JSON.parse(l));
      expect(trajectories.map((t) => `${t.bundle_id} ${t.outcome}`).sort()).toEqual([`${kept.id} success`, `${failing.id} success`].sort());
      await server.close();
    },
    600_000,
  );

  testWith(
    DOCKER,
    "an endpoint still failing when the sample's time runs out: infra-error, not a timeout negative",
    async () => {
      const server = await startFakeOpenAI(() => Response.json({ error: { message: "overloaded" } }, { status: 503, headers: { "retry-after-ms": "300" } }));
      try {
        const out = tmp("deadline");
        const cfg = join(out, "op.toml");
        writeFileSync(
          cfg,
          `[shell.operator]\nbase_url = "${server.url}"\nmodel = "op"\napi_key_env = ""\nmax_attempts = 100\n[rollout]\nsample_timeout_s = 3\n`,
        );
        const r = await runCli(["rollout", bundles, "--out", out, "--operator", "model", "--config", cfg], { env: cleanEnv() });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain("the caller's deadline came before the next try");
        const journal = lines(join(out, "rollout/journal.jsonl"))
          .map((l) => JSON.parse(l))
          .filter((t) => "key" in t);
        expect(journal.map((t) => t.outcome)).toEqual(["infra-error", "infra-error"]);
        for (const f of OUTPUTS) expect(lines(join(out, "rollout", f)), f).toEqual([]);
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});
