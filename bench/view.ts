// How fast `sekft view` opens a 100,000-line witness dataset: time from start to the overview's data, and to
// a page of the example browser (first and last page). Run: bun bench/view.ts [WITNESS_OUT_DIR] [LINES] [RUNS]
// Without a directory, one real example is generated first; the big set repeats it with a changed question and
// is removed at the end. With RUNS > 1 the server is started that many times and the medians are printed too.
// SEKFT_BIN=dist/sekft times the compiled binary instead of the source.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const lines = Number(process.argv[3] ?? 100_000);
const runs = Number(process.argv[4] ?? 1);
const cli = process.env.SEKFT_BIN ? [process.env.SEKFT_BIN] : [process.execPath, join(import.meta.dir, "../src/cli.ts")];
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };

let source = process.argv[2];
if (!source) {
  source = mkdtempSync(join(tmpdir(), "sekft-bench-view-src-"));
  const r = Bun.spawnSync([...cli, "gen", "--track", "witness", "--count", "1", "--out", source], { env, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`gen failed: ${r.stderr.toString().slice(-400)}`);
}
const src = join(source, "witness");
// The first example, wherever the split put it (one example may land in valid.jsonl).
const firstLine = ["train.jsonl", "valid.jsonl"].map((f) => readFileSync(join(src, f), "utf8").split("\n")[0]!).find((l) => l !== "")!;
const chat = JSON.parse(firstLine);
const meta = JSON.parse(readFileSync(join(src, "meta.jsonl"), "utf8").split("\n")[0]!);
const user = chat.messages.find((m: { role: string }) => m.role === "user");
const question = user.content as string;

const out = mkdtempSync(join(tmpdir(), "sekft-bench-view-"));
mkdirSync(join(out, "witness"));
const train: string[] = [];
const metas: string[] = [];
for (let i = 0; i < lines; i++) {
  user.content = `${question} (variant ${i})`;
  train.push(JSON.stringify(chat));
  metas.push(JSON.stringify({ ...meta, id: `${meta.id}-${i}`, index: i, split: "train" }));
}
writeFileSync(join(out, "witness/train.jsonl"), `${train.join("\n")}\n`);
writeFileSync(join(out, "witness/meta.jsonl"), `${metas.join("\n")}\n`);
writeFileSync(join(out, "witness/valid.jsonl"), "");
copyFileSync(join(src, "manifest.json"), join(out, "witness/manifest.json"));
const mb = (Bun.file(join(out, "witness/train.jsonl")).size / 1e6).toFixed(0);

const since = (t: number) => (performance.now() - t) / 1000;

/** One start of `sekft view`: seconds to the overview's data, to the first page (index built), to the last page. */
async function openOnce(): Promise<{ opened: number; firstPage: number; lastPage: number; shows: unknown; total: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn([...cli, "view", out], { env, stdout: "pipe", stderr: "ignore" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let url = "";
  while (!url.includes("\n")) url += new TextDecoder().decode((await reader.read()).value);
  url = url.trim();
  await (await fetch(url)).text();
  const overview = (await (await fetch(`${url}api/overview`)).json()) as { tracks: { headline: Record<string, number> }[] };
  const opened = since(t0);
  const t1 = performance.now();
  const first = (await (await fetch(`${url}api/items?kind=witness&limit=50`)).json()) as { total: number };
  const firstPage = since(t1);
  const t2 = performance.now();
  await (await fetch(`${url}api/items?kind=witness&limit=50&offset=${lines - 50}`)).json();
  const lastPage = since(t2);
  proc.kill("SIGINT");
  await proc.exited;
  return { opened, firstPage, lastPage, shows: overview.tracks[0]?.headline["train.examples"], total: first.total };
}

const results = [];
for (let i = 0; i < runs; i++) {
  const r = await openOnce();
  results.push(r);
  console.log(
    `${lines} lines (${mb} MB train.jsonl): overview open ${r.opened.toFixed(2)}s after start (shows ${r.shows} examples); ` +
      `example browser: first page ${r.firstPage.toFixed(2)}s (index built, ${r.total} items), last page ${r.lastPage.toFixed(2)}s`,
  );
}
if (!process.argv[2]) rmSync(source, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
if (runs > 1) {
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
  console.log(
    `median of ${runs}: overview open ${median(results.map((r) => r.opened))}s, first page ${median(results.map((r) => r.firstPage))}s, ` +
      `last page ${median(results.map((r) => r.lastPage))}s`,
  );
}
