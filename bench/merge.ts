// Merges 4 synthetic witness shards holding LINES examples in all (default 1,000,000) with `sekft merge`
// and prints its peak RSS: the merge streams, so the figure should not grow with LINES.
// Usage: bun bench/merge.ts [LINES] [SEKFT_BIN]   (default binary: dist/sekft; "src" runs src/cli.ts)
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const lines = Number(process.argv[2] ?? 1_000_000);
const root = resolve(import.meta.dir, "..");
const binArg = process.argv[3] ?? join(root, "dist/sekft");
const bin = binArg === "src" ? [process.execPath, join(root, "src/cli.ts")] : [resolve(binArg)];
const shards = 4;
const work = mkdtempSync(join(tmpdir(), "sekft-bench-merge-"));
const answer = "Create the keys:\n\n```sh\nopenssl genpkey -algorithm ed25519 -out key.pem\n```\n".repeat(4);

/** Writes one shard's files through a buffer and hashes them as written. */
function writeShard(index: number): void {
  const dir = join(work, `shard-${index}`, "witness");
  mkdirSync(dir, { recursive: true });
  const names = ["train.jsonl", "valid.jsonl", "meta.jsonl", "rejects.jsonl"] as const;
  const fds = Object.fromEntries(names.map((n) => [n, openSync(join(dir, n), "w")])) as Record<(typeof names)[number], number>;
  const hashes = Object.fromEntries(names.map((n) => [n, createHash("sha256")]));
  const buffers: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  const put = (name: (typeof names)[number], text: string): void => {
    buffers[name]!.push(text);
    if (buffers[name]!.length >= 4096) flush(name);
  };
  const flush = (name: (typeof names)[number]): void => {
    const b = Buffer.from(buffers[name]!.join(""));
    writeSync(fds[name], b);
    hashes[name]!.update(b);
    buffers[name] = [];
  };
  const counts = { kept: 0, train: 0, valid: 0, rejected: 0 };
  for (let i = index; i < lines; i += shards) {
    const id = createHash("sha256").update(`example ${i}`).digest("hex").slice(0, 32);
    const split = Number.parseInt(id.slice(0, 2), 16) < 26 ? "valid" : "train";
    put(
      `${split}.jsonl`,
      `${JSON.stringify({
        messages: [
          { role: "system", content: "You are a supply-chain engineer." },
          { role: "user", content: `Question ${i}?` },
          { role: "assistant", content: answer },
        ],
      })}\n`,
    );
    put("meta.jsonl", `${JSON.stringify({ id, index: i, split, answer_sha256: id + id })}\n`);
    counts.kept++;
    counts[split]++;
  }
  const files: Record<string, string> = {};
  for (const n of names) {
    flush(n);
    closeSync(fds[n]);
    files[n] = hashes[n]!.digest("hex");
  }
  const manifest = {
    track: "witness",
    generator: "bench",
    sekft_version: "bench",
    config_sha256: "0".repeat(64),
    seed: 1,
    requested: counts.kept,
    shard: { index, total: shards },
    counts,
    tools: {},
    files,
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
}

const t0 = performance.now();
for (let i = 0; i < shards; i++) writeShard(i);
console.log(`wrote ${lines} examples in ${shards} shards in ${((performance.now() - t0) / 1000).toFixed(1)}s (${work})`);
const t1 = performance.now();
const proc = Bun.spawn([...bin, "merge", join(work, "merged"), ...Array.from({ length: shards }, (_, i) => join(work, `shard-${i}`))], {
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, NO_COLOR: "1" },
  stdout: "inherit",
  stderr: "pipe",
});
const stderr = await new Response(proc.stderr).text();
const code = await proc.exited;
const usage = proc.resourceUsage();
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
if (code !== 0) throw new Error(`merge exited ${code}\n${stderr.slice(-2000)}`);
console.log(stderr.trim().split("\n").at(-1));
const mb = Number(usage?.maxRSS ?? 0) / 1024 / 1024;
console.log(`merge of ${lines} lines: ${((performance.now() - t1) / 1000).toFixed(1)}s, peak RSS ${mb.toFixed(1)} MB`);
