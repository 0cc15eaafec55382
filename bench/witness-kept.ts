// What the kept texts alone cost: runs every example of one or more witness outputs once, as `sekft gen` runs the
// kept text (plain process, the caller's HOME, 2 at a time), and prints CPU seconds per example — total and by
// family. Set beside `bench/witness.ts`'s CPU per example of an older build, it bounds the speed-up any change to
// the mutants, broken runs or checkpoints can give: those kept runs are what gen must do in any case.
// Run: bun bench/witness-kept.ts DIR/witness [DIR2/witness ...]; SEKFT_WITNESS=path picks witness.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { answerOf } from "../src/dataset/chat.ts";
import { sha256 } from "../src/dataset/hash.ts";
import { runPool } from "../src/pool/pool.ts";
import { extractScript, runScript, scriptPath } from "../src/witness/script.ts";

const home = process.env.HOME ?? "/root";
const witness = process.env.SEKFT_WITNESS ?? join(home, ".cache/sekft/tools/witness-v0.11.0/witness");
const env = { path: scriptPath(witness, process.env.PATH ?? "/usr/bin:/bin"), home, timeoutMs: 300_000 };

for (const dir of process.argv.slice(2)) {
  const familyOf = new Map<string, string>();
  for (const line of readFileSync(join(dir, "meta.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { answer_sha256: string; family?: string };
    familyOf.set(m.answer_sha256, m.family ?? "attest");
  }
  const answers: string[] = [];
  for (const split of ["train.jsonl", "valid.jsonl"]) {
    for (const line of readFileSync(join(dir, split), "utf8").split("\n")) if (line.trim()) answers.push(answerOf(JSON.parse(line), split, 0));
  }
  const byFamily = new Map<string, { cpu: number; n: number }>();
  let cpu = 0;
  let failed = 0;
  const t = performance.now();
  await runPool(
    answers,
    async (answer) => {
      const r = await runScript(extractScript(answer), env);
      if (!r.ok) failed += 1;
      cpu += r.cpuSeconds;
      const family = familyOf.get(sha256(answer)) ?? "?";
      const f = byFamily.get(family) ?? { cpu: 0, n: 0 };
      f.cpu += r.cpuSeconds;
      f.n += 1;
      byFamily.set(family, f);
    },
    { workers: 2 },
  );
  const families = [...byFamily.entries()].map(([k, v]) => `${k} ${(v.cpu / v.n).toFixed(3)}s (${v.n})`).join(", ");
  console.log(
    `${dir}: ${answers.length} kept texts run once in ${((performance.now() - t) / 1000).toFixed(1)} s, ${failed} failed; ` +
      `CPU per example ${(cpu / answers.length).toFixed(3)}s; by family: ${families}`,
  );
}
