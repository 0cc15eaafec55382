import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { indexLines } from "../../src/view/lines.ts";
import { indexInWorker } from "../../src/view/scans.ts";
import type { RunContext } from "../../src/context.ts";
import { createHandler, serveView } from "../../src/view/server.ts";
import { datasetStats } from "../../src/witness/stats.ts";

const config = loadConfig(undefined);
const HEX = "0".repeat(64);
const ATTESTORS = ["git", "environment", "slsa"];

/** A witness directory as `gen` lays it out: train/valid split files, meta.jsonl in stream order, a manifest. */
function witnessDir(n: number, opts: { badMetaLine?: number } = {}): { root: string; questions: Record<string, string[]>; ids: Record<string, string[]> } {
  const root = mkdtempSync(join(tmpdir(), "sekft-view-unit-"));
  const dir = join(root, "witness");
  mkdirSync(dir);
  const files: Record<string, string[]> = { train: [], valid: [] };
  const questions: Record<string, string[]> = { train: [], valid: [] };
  const ids: Record<string, string[]> = { train: [], valid: [] };
  const meta: string[] = [];
  for (let i = 0; i < n; i++) {
    const split = i % 5 === 4 ? "valid" : "train";
    // Long, non-ASCII questions: lines cross the scanners' 256 KiB chunks, and byte offsets differ from characters.
    const question = `Question ${i} — ünïcode ${"x".repeat(2500 + (i % 7) * 300)}`;
    const answer = `Run this:\n\n\`\`\`sh\nwitness run -s build -a ${ATTESTORS[i % 3]} -- make\n\`\`\`\n`;
    files[split]!.push(
      JSON.stringify({
        messages: [
          { role: "user", content: question },
          { role: "assistant", content: answer },
        ],
      }),
    );
    questions[split]!.push(question);
    ids[split]!.push(`ex-${i}`);
    const spec = {
      step: "build",
      command: i % 2 ? "make" : "go",
      attestors: ATTESTORS.slice(0, 1 + (i % 3)),
      rules: [],
      keys: { step: "ed25519" },
      question: i % 4,
    };
    meta.push(i === opts.badMetaLine ? `{"id":"ex-${i}","split":"${split}","spec":` : JSON.stringify({ id: `ex-${i}`, index: i, split, spec }));
    // A blank line and a whitespace-only one, which `stats` skips.
    if (i === 3) meta.push("", "  ");
  }
  for (const split of ["train", "valid"]) writeFileSync(join(dir, `${split}.jsonl`), `${files[split]!.join("\n")}\n \n`);
  writeFileSync(join(dir, "meta.jsonl"), `${meta.join("\n")}\n`);
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({
      track: "witness",
      generator: "witness-gen/7",
      sekft_version: "0.0.0",
      config_sha256: HEX,
      seed: 1,
      requested: n,
      counts: { kept: n },
      tools: {},
      files: { "train.jsonl": HEX },
    }),
  );
  return { root, questions, ids };
}

/** One request to the handler: JSON bodies parsed, others as text. */
async function get(handler: (r: Request) => Promise<Response>, path: string): Promise<{ status: number; body: any }> {
  const res = await handler(new Request(`http://127.0.0.1${path}`));
  return { status: res.status, body: res.headers.get("content-type")?.startsWith("application/json") ? await res.json() : await res.text() };
}

describe("sekft view server", () => {
  test("a page asked for before the overview answers right; the overview's counts are stats'; pages right after it too", async () => {
    // Over 4 MiB of examples: the scans yield to the event loop, so the first request really comes in mid-read.
    const n = 2000;
    const { root, questions, ids } = witnessDir(n);
    const handler = createHandler(root, { config });
    // Asked at once, while the overview's reads are under way.
    const early = await get(handler, "/api/items?kind=witness&limit=7&offset=3&split=valid");
    expect(early.status).toBe(200);
    expect(early.body.total).toBe(questions.valid!.length);
    expect(early.body.items.map((i: { id: string }) => i.id)).toEqual(ids.valid!.slice(3, 10));
    expect(early.body.items.map((i: { title: string }) => i.title)).toEqual(questions.valid!.slice(3, 10).map((q) => q.slice(0, 300)));

    const overview = (await get(handler, "/api/overview")).body;
    const track = overview.tracks[0];
    const want: Record<string, Record<string, number>> = {};
    for (const split of ["train", "valid"]) {
      const s = await datasetStats(join(root, "witness", `${split}.jsonl`));
      expect(s.source).toBe("metadata");
      expect(track.headline[`${split}.examples`]).toBe(s.examples);
      for (const [d, c] of Object.entries(s.dimensions)) for (const [v, k] of Object.entries(c)) (want[d] ??= {})[v] = (want[d]?.[v] ?? 0) + k;
    }
    expect(track.dimensions).toEqual(want);
    expect(track.grids[0].rows).toEqual([...ATTESTORS].sort());

    const last = await get(handler, `/api/items?kind=witness&limit=50&offset=${n - 10}`);
    expect(last.body.total).toBe(n);
    expect(last.body.items.map((i: { id: string }) => i.id)).toEqual(ids.valid!.slice(-10));
    const one = await get(handler, `/api/item?kind=witness&id=ex-${n - 2}`);
    expect(one.body.record.messages[0].content).toBe(questions.train!.at(-1));
    expect(one.body.extra.index).toBe(n - 2);
    const filtered = await get(handler, "/api/items?kind=witness&limit=500&dim=command%3Dmake");
    expect(filtered.body.total).toBe(n / 2);
  });

  test("a bad meta line fails the overview and the browser with its file and line, as `stats` does", async () => {
    const { root } = witnessDir(20, { badMetaLine: 9 });
    const handler = createHandler(root, { config });
    const overview = await get(handler, "/api/overview");
    expect(overview.status).toBe(500);
    // Line 12: two blank lines come before it.
    expect(overview.body).toContain("meta.jsonl:12: not valid JSON");
    expect((await get(handler, "/api/items?kind=witness")).body).toContain("meta.jsonl:12: not valid JSON");
  });

  test("a malformed percent-encoding under /raw/ is a bad request (400), not a server error", async () => {
    const { root } = witnessDir(1);
    const handler = createHandler(root, { config });
    for (const path of ["/raw/%", "/raw/%E0%A4%A", "/raw/witness/%ZZ"]) {
      const res = await handler(new Request(`http://127.0.0.1:1${path}`));
      expect(res.status, path).toBe(400);
    }
    expect((await handler(new Request("http://127.0.0.1:1/raw/witness/manifest.json"))).status).toBe(200);
  });

  test("a big file's index made in a worker thread is the one made in this thread", async () => {
    const { root } = witnessDir(300);
    const file = join(root, "witness", "train.jsonl");
    const inWorker = await indexInWorker(file);
    expect(inWorker).toBeDefined();
    expect(inWorker).toEqual(await indexLines(file));
    expect(inWorker!.starts.length).toBe(240);
  });
});

/** One request over a real socket with the Host header given (fetch would set its own). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A raw HTTP/1.0 request without any Host header; the status line's code. */
function getWithoutHost(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      text += c;
    });
    socket.on("end", () => resolve(Number(text.split(" ")[1])));
    socket.on("error", reject);
  });
}

describe("sekft view over a socket", () => {
  const { root } = witnessDir(5);
  const abort = new AbortController();
  let port = 0;
  const ready = new Promise<void>((resolve) => {
    const ctx = { config, signal: abort.signal } as unknown as RunContext;
    void serveView(ctx, {
      root,
      port: 0,
      onListening: (url) => {
        port = Number(new URL(url).port);
        resolve();
      },
    });
  });
  const paths = ["/", "/api/overview", "/api/items?kind=witness", "/raw/witness/manifest.json"];

  test("another Host name, another port or no Host at all gets 421 on every path, the page included (DNS rebinding)", async () => {
    await ready;
    for (const path of paths) {
      for (const host of [`attacker.example:${port}`, "127.0.0.1:1", `127.0.0.1.attacker.example:${port}`, "localhost", "127.0.0.1"]) {
        const res = await getWithHost(port, path, host);
        expect(res.status, `${host} ${path}`).toBe(421);
        expect(res.body).not.toContain("witness");
        expect(res.headers["cross-origin-resource-policy"]).toBe("same-origin");
      }
      expect(await getWithoutHost(port, path), path).toBe(421);
    }
  });

  test("127.0.0.1, localhost (any case) and [::1] with the bound port are served, with CORP on every answer", async () => {
    await ready;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      for (const path of paths) {
        const res = await getWithHost(port, path, host);
        expect(res.status, `${host} ${path}`).toBe(200);
        expect(res.headers["cross-origin-resource-policy"]).toBe("same-origin");
      }
    }
    const page = await getWithHost(port, "/", `localhost:${port}`);
    expect(page.headers["content-security-policy"]).toBeTruthy();
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    const missing = await getWithHost(port, "/nope", `127.0.0.1:${port}`);
    expect(missing.status).toBe(404);
    expect(missing.headers["cross-origin-resource-policy"]).toBe("same-origin");
    abort.abort();
  });
});
