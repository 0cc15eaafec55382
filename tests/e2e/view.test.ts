// needs: witness docker browser
import { beforeAll, describe, expect } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Browser, CHROMIUM } from "../helpers/cdp.ts";
import { binCommand, cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

const DATA = dockerPresent() && Boolean(witnessBin());
const BROWSER = DATA && existsSync(CHROMIUM);
const SHOTS = mkdtempSync(join(tmpdir(), "sekft-view-shots-"));
const PAYLOAD = `<script>window.__pwned=1</script></textarea><img src="http://127.0.0.1:9/x" onerror="window.__pwned=2"><a href="javascript:window.__pwned=3">go</a>`;

let witnessOut = "";
let shellOut = "";

const lines = (f: string): any[] =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const writeLines = (f: string, rows: unknown[]) => writeFileSync(f, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`sekft ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** `stats --json` prints one JSON object per split file or track. */
async function stats(target: string): Promise<any[]> {
  return (await cli(["stats", target, "--json"])).split(/\n(?=\{)/).map((s) => JSON.parse(s));
}

/** Starts `sekft view DIR` and reads the URL it prints. */
async function startView(dir: string): Promise<{ url: string; proc: ReturnType<typeof Bun.spawn> }> {
  const proc = Bun.spawn([...binCommand(), "view", dir], { cwd: ROOT, env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`view exited: ${await new Response(proc.stderr as ReadableStream).text()}`);
    text += new TextDecoder().decode(value);
  }
  return { url: text.trim(), proc };
}

async function stop(proc: ReturnType<typeof Bun.spawn>): Promise<number> {
  proc.kill("SIGINT");
  return proc.exited;
}

/** Opens a URL afresh (a hash change alone fires no load event) and waits for the page to finish routing. */
async function open(b: Browser, url: string, ready: string): Promise<void> {
  await b.goto("about:blank");
  await b.goto(url);
  await b.waitFor(`document.body.dataset.ready !== undefined && (${ready})`);
}

/** A screenshot that is not one flat colour: it compresses far worse than the blank page's. */
async function shoot(b: Browser, name: string, blank: number): Promise<void> {
  const png = await b.screenshot();
  writeFileSync(join(SHOTS, `${name}.png`), png);
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  expect(png.length).toBeGreaterThan(blank * 3);
}

const shownHeadlines = (b: Browser) =>
  b.eval<Record<string, number>>(
    `Object.fromEntries([...document.querySelectorAll("[data-headline]")].map((e) => [e.dataset.headline, Number(e.textContent)]))`,
  );
const shownBars = (b: Browser, track: string) =>
  b.eval<Record<string, Record<string, number>>>(
    `[...document.querySelectorAll('[data-track="${track}"][data-dim]')].reduce((o, e) => ((o[e.dataset.dim] ??= {})[e.dataset.value] = Number(e.textContent), o), {})`,
  );

beforeAll(async () => {
  if (!DATA) return;
  witnessOut = mkdtempSync(join(tmpdir(), "sekft-view-w-"));
  shellOut = mkdtempSync(join(tmpdir(), "sekft-view-s-"));
  await Promise.all([
    cli(["gen", "--track", "witness", "--count", "3", "--out", witnessOut]),
    (async () => {
      await cli(["gen", "--track", "shell", "--count", "6", "--out", shellOut]);
      await cli(["rollout", shellOut, "--out", shellOut, "--operator", "reference"]);
      await cli(["rollout", shellOut, "--out", shellOut, "--operator", "perturb", "--samples", "2"]);
    })(),
  ]);
}, 900_000);

describe("sekft view", () => {
  testWith(
    BROWSER,
    "overviews show the counts of `stats --json`; one item of each kind opens; every page's screenshot is not blank",
    async () => {
      await using b = await Browser.launch();
      await b.goto("about:blank");
      const blank = (await b.screenshot()).length;

      const w = await startView(witnessOut);
      expect(new URL(w.url).hostname).toBe("127.0.0.1");
      await open(b, w.url, `document.querySelector("[data-headline]")`);
      const heads = await shownHeadlines(b);
      const wantDims: Record<string, Record<string, number>> = {};
      for (const s of await stats(witnessOut)) {
        expect(heads[`witness.${basename(s.file, ".jsonl")}.examples`]).toBe(s.examples);
        for (const [d, c] of Object.entries<Record<string, number>>(s.dimensions))
          for (const [v, n] of Object.entries(c)) (wantDims[d] ??= {})[v] = (wantDims[d]?.[v] ?? 0) + n;
      }
      expect(await shownBars(b, "witness")).toEqual(wantDims);
      await shoot(b, "witness-overview", blank);

      const meta = lines(join(witnessOut, "witness/meta.jsonl"))[0];
      const chat = lines(join(witnessOut, `witness/${meta.split}.jsonl`))[0];
      await open(b, `${w.url}#/witness/${meta.id}`, `document.querySelector("[data-question]")`);
      expect(await b.eval(`document.querySelector("[data-question]").textContent`)).toBe(chat.messages.find((m: any) => m.role === "user").content);
      expect(await b.eval(`document.querySelectorAll("pre.code .w").length`)).toBeGreaterThan(0);
      await shoot(b, "witness-example", blank);
      await open(b, `${w.url}#/witness`, `document.querySelector("[data-total]")`);
      expect(await b.eval(`document.querySelector("[data-total]").textContent`)).toStartWith(`${lines(join(witnessOut, "witness/meta.jsonl")).length} items`);
      expect(await stop(w.proc)).toBe(130);

      const s = await startView(shellOut);
      await open(b, s.url, `document.querySelector('[data-headline="rollout.samples"]')`);
      const [shell, rollout] = [...(await stats(join(shellOut, "shell"))), ...(await stats(join(shellOut, "rollout")))];
      const sh = await shownHeadlines(b);
      expect(sh["shell.bundles"]).toBe(shell.bundles);
      expect(sh["rollout.samples"]).toBe(rollout.samples);
      expect(sh["rollout.keepers"]).toBe(rollout.keepers);
      expect(await shownBars(b, "shell")).toEqual(shell.dimensions);
      const bars = await shownBars(b, "rollout");
      for (const [axis, values] of Object.entries<Record<string, Record<string, number>>>(rollout.by))
        for (const [v, o] of Object.entries(values)) expect(bars[axis]?.[v]).toBe(Object.values(o).reduce((x, y) => x + y, 0));
      expect(await b.eval(`document.querySelectorAll('[data-cell="empty"]').length`)).toBeGreaterThan(0);
      await shoot(b, "shell-rollout-overview", blank);

      const bundle = lines(join(shellOut, "rollout/trajectories.jsonl"))[0].bundle_id;
      await open(b, `${s.url}#/bundle/${bundle}`, `document.querySelector('[data-detail="bundle"]')`);
      await shoot(b, "bundle", blank);
      const traj =
        lines(join(shellOut, "rollout/trajectories.jsonl")).find((t) => t.outcome !== "success") ?? lines(join(shellOut, "rollout/trajectories.jsonl"))[0];
      await open(b, `${s.url}#/trajectory/${encodeURIComponent(traj.key)}`, `document.querySelector("[data-outcome]")`);
      expect(await b.eval(`document.querySelector("[data-outcome]").textContent`)).toBe(traj.outcome);
      expect(await b.eval(`document.querySelector("pre.term").textContent`)).toContain(traj.turns[0].cmd);
      await shoot(b, "trajectory", blank);
      expect(lines(join(shellOut, "rollout/dpo.jsonl")).length).toBeGreaterThan(0);
      await open(b, `${s.url}#/pair/0`, `document.querySelector('[data-detail="pair"] .sides')`);
      await shoot(b, "pair", blank);
      await open(b, `${s.url}#/trajectory?outcome=success`, `document.querySelector("[data-total]")`);
      const successes = lines(join(shellOut, "rollout/trajectories.jsonl")).filter((t) => t.outcome === "success").length;
      expect(await b.eval(`document.querySelector("[data-total]").textContent`)).toStartWith(`${successes} items`);
      expect(await stop(s.proc)).toBe(130);
    },
    600_000,
  );

  /** A copy of the generated sets with hostile strings in a question, a meta value, a login and a command. */
  function hostileSet(): string {
    const root = mkdtempSync(join(tmpdir(), "sekft-view-hostile-"));
    cpSync(join(witnessOut, "witness"), join(root, "witness"), { recursive: true });
    cpSync(join(shellOut, "rollout"), join(root, "rollout"), { recursive: true });
    const train = lines(join(root, "witness/train.jsonl"));
    train[0].messages.find((m: any) => m.role === "user").content = `${PAYLOAD}${"A".repeat(1 << 20)}`;
    writeLines(join(root, "witness/train.jsonl"), train);
    const meta = lines(join(root, "witness/meta.jsonl"));
    meta[0].spec.command = PAYLOAD;
    writeLines(join(root, "witness/meta.jsonl"), meta);
    const trajs = lines(join(root, "rollout/trajectories.jsonl"));
    trajs[0].login = PAYLOAD;
    trajs[0].turns[0].cmd = `${PAYLOAD}${"B".repeat(1 << 20)}`;
    writeLines(join(root, "rollout/trajectories.jsonl"), trajs);
    return root;
  }

  testWith(
    BROWSER,
    "hostile strings render as text and run nothing; the report opens from file:// with no network request",
    async () => {
      const root = hostileSet();
      const meta = lines(join(root, "witness/meta.jsonl"))[0];
      const traj = lines(join(root, "rollout/trajectories.jsonl"))[0];
      await using b = await Browser.launch();
      await b.goto("about:blank");
      const blank = (await b.screenshot()).length;
      const v = await startView(root);
      const clean = async () => {
        expect(await b.eval(`typeof window.__pwned`)).toBe("undefined");
        expect(await b.eval(`document.querySelectorAll("main script, main img, main textarea, main iframe").length`)).toBe(0);
        expect(await b.eval(`[...document.querySelectorAll("a")].filter((a) => !a.getAttribute("href").startsWith("#")).length`)).toBe(0);
      };
      await open(b, v.url, `document.querySelector("[data-headline]")`);
      expect(await b.eval(`document.body.textContent.includes("</textarea>")`)).toBe(true);
      await clean();
      await open(b, `${v.url}#/witness/${meta.id}`, `document.querySelector("[data-question]")`);
      expect(await b.eval(`document.querySelector("[data-question]").textContent.length`)).toBe(PAYLOAD.length + (1 << 20));
      expect(await b.eval(`document.querySelector("[data-question]").textContent.startsWith(${JSON.stringify(PAYLOAD)})`)).toBe(true);
      await clean();
      await open(b, `${v.url}#/witness?q=${encodeURIComponent("__pwned")}`, `document.querySelector("[data-total]")`);
      expect(await b.eval(`document.querySelector("[data-total]").textContent`)).toStartWith("1 items");
      await clean();
      await open(b, `${v.url}#/trajectory/${encodeURIComponent(traj.key)}`, `document.querySelector("[data-outcome]")`);
      expect(await b.eval(`document.querySelector("pre.term").textContent.startsWith(${JSON.stringify(PAYLOAD)})`)).toBe(true);
      await clean();
      await open(b, `${v.url}#/trajectory`, `document.querySelector("[data-total]")`);
      await clean();
      expect(await stop(v.proc)).toBe(130);

      const report = join(mkdtempSync(join(tmpdir(), "sekft-view-report-")), "report.html");
      await cli(["report", root, "--out", report]);
      const requests: string[] = [];
      await b.send("Network.enable");
      b.on("Network.requestWillBeSent", (p) => requests.push(p.request.url));
      await open(b, `file://${report}`, `document.querySelector("[data-headline]")`);
      await clean();
      expect(await b.eval(`document.querySelector('[data-headline="rollout.samples"]').textContent`)).toBe(
        String(lines(join(root, "rollout/trajectories.jsonl")).length),
      );
      expect(requests.filter((u) => u !== `file://${report}` && u !== "about:blank")).toEqual([]);
      await shoot(b, "report", blank);
    },
    600_000,
  );

  testWith(DATA, "the server refuses paths outside DIR: ../, absolute, a symlink pointing out", async () => {
    const root = mkdtempSync(join(tmpdir(), "sekft-view-paths-"));
    cpSync(join(witnessOut, "witness"), join(root, "witness"), { recursive: true });
    mkdirSync(join(root, "inner"));
    symlinkSync("/etc/passwd", join(root, "witness/passwd"));
    symlinkSync("/etc", join(root, "inner/etc"));
    symlinkSync(join(root, "witness/manifest.json"), join(root, "inner/manifest-link.json"));
    const v = await startView(root);
    const status = async (p: string) => (await fetch(`${v.url}raw/${p}`)).status;
    expect(await status("witness/manifest.json")).toBe(200);
    expect(await status("inner/manifest-link.json")).toBe(200);
    for (const bad of ["..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "witness/passwd", "inner/etc/passwd", "witness%2F..%2F..%2Fx"])
      expect(await status(bad)).toBe(403);
    const raw = await fetch(`${v.url}raw/witness/train.jsonl`);
    expect(raw.headers.get("content-type")).toStartWith("text/plain");
    expect(await stop(v.proc)).toBe(130);
  });
});
