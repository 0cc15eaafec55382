// needs: witness docker mlx
import { beforeAll, describe, expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

/**
 * A real trainer takes the outputs as they are: mlx-lm (CPU) runs three LoRA steps on `gen`'s witness directory and
 * on a rollout directory, unchanged, with a tiny random Llama built here (a BPE tokenizer trained on the data, a chat
 * template with tool calls). The venv is `scripts/trainers.sh install`'s (scripts/test.sh installs it first).
 */
const TRAINERS = join(ROOT, "scripts/trainers.sh");
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const DOCKER = existsSync("/var/run/docker.sock");
const env = (): Record<string, string> => cleanEnv({ HOME: process.env.HOME ?? "/root" });
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-trainers-${p}-`));
const lines = (f: string): any[] =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function trainers(args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(["bash", TRAINERS, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.exitCode, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

const MLX = trainers(["python", "-c", "import mlx.core, mlx_lm, tokenizers"]).code === 0;

/** Three LoRA steps of mlx-lm on DIR as it is (its train.jsonl and valid.jsonl), evaluating on valid once. */
function lora(model: string, data: string, adapters: string): { code: number; out: string } {
  return trainers([
    "python",
    "-m",
    "mlx_lm",
    "lora",
    "--model",
    model,
    "--train",
    "--data",
    data,
    "--iters",
    "3",
    "--batch-size",
    "1",
    "--num-layers",
    "2",
    "--max-seq-length",
    "4096",
    "--val-batches",
    "1",
    "--steps-per-eval",
    "3",
    "--steps-per-report",
    "1",
    "--adapter-path",
    adapters,
  ]);
}

const TRAINING_FILES = ["train.jsonl", "valid.jsonl", "dpo.jsonl", "dpo-valid.jsonl", "kto.jsonl", "kto-valid.jsonl"];

/** Every file a trainer loads has lines: one with none is not written, and the manifest names it under `empty`. */
function expectNoEmptyFile(dir: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const present = readdirSync(dir).filter((f) => TRAINING_FILES.includes(f));
  for (const f of present) expect(statSync(join(dir, f)).size, `${dir}/${f}`).toBeGreaterThan(0);
  for (const f of manifest.empty ?? []) expect(existsSync(join(dir, f)), f).toBe(false);
  for (const f of present) expect(Object.keys(manifest.files), f).toContain(f);
}

let witnessDir = "";
let rolloutDir = "";

beforeAll(async () => {
  if (!witnessBin() || !DOCKER) return;
  const w = tmp("witness");
  const g = await runCli(["gen", "--config", FAST, "--count", "10", "--workers", "2", "--seed", "3", "--out", w], { env: env() });
  if (g.code !== 0) throw new Error(`gen failed: ${g.stderr}`);
  witnessDir = join(w, "witness");
  const b = tmp("bundles");
  const s = await runCli(["gen", "--track", "shell", "--count", "10", "--workers", "2", "--out", b, "--seed", "5"], { env: env() });
  if (s.code !== 0) throw new Error(`gen --track shell failed: ${s.stderr}`);
  const o = tmp("rollout");
  const r = await runCli(["rollout", b, "--out", o, "--operator", "reference", "--format", "tools", "--workers", "2"], { env: env() });
  if (r.code !== 0) throw new Error(`rollout failed: ${r.stderr}`);
  rolloutDir = join(o, "rollout");
}, 900_000);

describe("a real trainer (mlx-lm on CPU) takes the outputs as they are", () => {
  testWith(
    Boolean(witnessBin()) && DOCKER && MLX,
    "10 witness examples and 10 bundles' rollouts: train and valid both have lines, no empty file; 3 LoRA steps on each directory",
    () => {
      for (const dir of [witnessDir, rolloutDir]) {
        expect(lines(join(dir, "train.jsonl")).length, dir).toBeGreaterThan(0);
        expect(lines(join(dir, "valid.jsonl")).length, dir).toBeGreaterThan(0);
        expectNoEmptyFile(dir);
      }
      // A reference-only run has no reject: no DPO pair, and the manifest says so instead of an empty file.
      expect(JSON.parse(readFileSync(join(rolloutDir, "manifest.json"), "utf8")).empty).toContain("dpo.jsonl");
      // KTO holds every run: after a reference run, desirable lines only (the rejects of perturb add the others).
      expect(lines(join(rolloutDir, "kto.jsonl")).every((l) => l.label === true)).toBe(true);

      const model = join(tmp("model"), "tiny");
      const built = trainers(["python", join(ROOT, "scripts/tiny-model.py"), model, join(witnessDir, "train.jsonl"), join(rolloutDir, "train.jsonl")]);
      expect(built.code, built.out).toBe(0);
      for (const dir of [witnessDir, rolloutDir]) {
        const adapters = join(tmp("adapters"), "a");
        const r = lora(model, dir, adapters);
        expect(r.code, r.out).toBe(0);
        expect(r.out).toContain("Trainable parameters");
        expect(existsSync(join(adapters, "adapters.safetensors")), r.out).toBe(true);
      }
    },
    900_000,
  );
});
