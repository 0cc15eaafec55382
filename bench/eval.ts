// What a user waits for in `sekft eval` against the real model (scripts/model.sh, one server thread): answers/s,
// tokens/s and script time per answer on the witness track, samples/min on the shell track, at 1 and 2 workers.
// Run: bun bench/eval.ts [QUESTIONS=4] [BUNDLES=2] [MODEL=qwen]  (needs dist/sekft and `bash scripts/model.sh install MODEL`)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startModel } from "../tests/helpers/model.ts";

const questions = Number(process.argv[2] ?? 4);
const bundleCount = Number(process.argv[3] ?? 2);
const name = (process.argv[4] ?? "qwen") as "qwen" | "smollm2";
const bin = join(import.meta.dir, "../dist/sekft");
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };
const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `sekft-bench-eval-${p}-`));
const run = (args: string[], ok = [0]): number => {
  const t = performance.now();
  const r = Bun.spawnSync([bin, ...args], { env, stdout: "ignore", stderr: "pipe" });
  if (!ok.includes(r.exitCode)) throw new Error(`sekft ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(-400)}`);
  return (performance.now() - t) / 1000;
};

const data = tmp("data");
run(["gen", "--config", join(import.meta.dir, "../fixtures/configs/witness-fast.toml"), "--count", String(questions + 2), "--out", data]);
const lines = ["train.jsonl", "valid.jsonl"].flatMap((f) =>
  readFileSync(join(data, "witness", f), "utf8")
    .split("\n")
    .filter(Boolean),
);
const held = join(tmp("held"), "held.jsonl");
writeFileSync(held, `${lines.slice(0, questions).join("\n")}\n`);
const bundles = tmp("bundles");
run(["gen", "--track", "shell", "--count", String(bundleCount), "--out", bundles, "--seed", "11"]);

const model = await startModel(name);
try {
  console.log(`${name} (${model.model}) loaded in ${model.loadSeconds.toFixed(1)}s; ${questions} witness questions, ${bundleCount} shell bundles`);
  const cfg = join(tmp("cfg"), "eval.toml");
  writeFileSync(cfg, "[eval]\nconcurrency = 2\ntimeout_s = 600\nmax_tokens = 512\n[rollout]\nmax_turns = 6\nreply_max_tokens = 96\n");
  const flags = ["--base-url", model.url, "--model", model.model, "--api-key-env", "", "--config", cfg];
  for (const workers of [1, 2]) {
    const out = tmp("witness");
    const secs = run(["eval", held, "--out", out, "--workers", String(workers), ...flags], [0, 1]);
    const r = JSON.parse(readFileSync(join(out, "eval.json"), "utf8"));
    console.log(
      `witness, workers ${workers}: ${r.answers} answers in ${secs.toFixed(1)}s → ${(r.answers / secs).toFixed(3)} answers/s, ` +
        `${((r.tokens.completion || 0) / secs).toFixed(1)} completion tokens/s; per answer: model ${r.seconds.model_per_answer.toFixed(1)}s, ` +
        `script (sandbox) ${r.seconds.run_per_answer.toFixed(1)}s, ${r.tokens.per_answer.completion.toFixed(0)} tokens; pass@1 ${(r.overall.pass_at_1 * 100).toFixed(0)}%`,
    );
    const sout = tmp("shell");
    const ssecs = run(["eval", bundles, "--out", sout, "--workers", String(workers), ...flags], [0, 1]);
    const s = JSON.parse(readFileSync(join(sout, "eval.json"), "utf8"));
    console.log(
      `shell, workers ${workers}: ${s.samples_run} samples in ${ssecs.toFixed(1)}s → ${((s.samples_run / ssecs) * 60).toFixed(1)} samples/min, ` +
        `${((s.tokens.completion || 0) / ssecs).toFixed(1)} completion tokens/s; success ${(s.overall.pass_at_1 * 100).toFixed(0)}%`,
    );
  }
} finally {
  await model.stop();
}
