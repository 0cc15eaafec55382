import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeManifest } from "../../src/dataset/manifest.ts";
import { detectTracks, GEN_TRACKS, loadTrack, TRACKS } from "../../src/tracks.ts";
import { Progress } from "../../src/ui/progress.ts";

const dir = (): string => mkdtempSync(join(tmpdir(), "sekft-tracks-"));
const manifest = (d: string, track: string, files: string[] = []): void => {
  writeManifest(d, { track, generator: "g/1", config: {}, seed: 1, requested: 1, counts: {}, tools: {}, files });
};

test("every registered track loads and names itself; an unknown track is a usage error listing them", async () => {
  for (const name of Object.keys(TRACKS)) {
    const track = await loadTrack(name);
    expect(track.name).toBe(name);
    expect(track.gen === undefined || typeof track.gen === "function").toBe(true);
  }
  await expect(loadTrack("nope")).rejects.toThrow(/--track must be one of witness, shell, rollout; got "nope"/);
  await expect(loadTrack("__proto__")).rejects.toThrow(/--track must be one of/);
});

test("GEN_TRACKS (what `gen --help` offers) lists exactly the tracks that have a gen", async () => {
  const withGen: string[] = [];
  for (const name of Object.keys(TRACKS)) if ((await loadTrack(name)).gen) withGen.push(name);
  expect([...GEN_TRACKS]).toEqual(withGen);
  expect(GEN_TRACKS).not.toContain("rollout");
});

test("verify and stats dispatch by the manifest, not by file-or-directory", () => {
  const out = dir();
  mkdirSync(join(out, "witness"));
  writeFileSync(join(out, "witness/train.jsonl"), "");
  manifest(join(out, "witness"), "witness", ["train.jsonl"]);
  mkdirSync(join(out, "shell/bundles"), { recursive: true });
  manifest(join(out, "shell"), "shell");
  expect(detectTracks(out)).toEqual([
    { track: "witness", target: join(out, "witness") },
    { track: "shell", target: join(out, "shell") },
  ]);
  expect(detectTracks(join(out, "witness/train.jsonl"))).toEqual([{ track: "witness", target: join(out, "witness/train.jsonl") }]);
  // A directory whose manifest names a track is that track's, whatever it holds.
  const other = dir();
  manifest(other, "shell");
  expect(detectTracks(other)).toEqual([{ track: "shell", target: other }]);
  // No manifest: a JSONL is chat data; a directory of bundle files is the shell track's; anything else is refused.
  const foreign = join(dir(), "data.jsonl");
  writeFileSync(foreign, "");
  expect(detectTracks(foreign)[0]!.track).toBe("witness");
  const legacy = dir();
  writeFileSync(join(legacy, "abc.json"), "{}");
  expect(detectTracks(legacy)[0]!.track).toBe("shell");
  expect(() => detectTracks(dir())).toThrow(/no sekft manifest and no dataset found/);
  const bad = dir();
  writeFileSync(join(bad, "manifest.json"), '{"track": 5}');
  expect(() => detectTracks(bad)).toThrow(/manifest\.json: not a sekft manifest: track/);
});

test("the one progress renderer draws from pool events: periodic lines off a TTY, resumed counts included", () => {
  const lines: string[] = [];
  const p = new Progress("witness", 3, { tty: false, intervalMs: 0, write: (s) => lines.push(s), words: ["kept", "rejected"] }, "ok");
  p.resume(1, 0);
  p.onEvent({ type: "start", inFlight: 1 });
  p.onEvent({ type: "done", result: { ok: false }, inFlight: 0 });
  p.onEvent({ type: "done", result: undefined, inFlight: 0 });
  p.onEvent({ type: "done", result: { ok: true }, inFlight: 0 });
  expect(lines).toHaveLength(2);
  // The rate and ETA are this run's: the resumed example is in the count, not in the rate.
  expect(lines[0]).toMatch(/^witness: 1\/3 \(0\.00\/s, ETA \?\) \(1 rejected\)\n$/);
  expect(lines[1]).toMatch(/^witness: 2\/3 \([0-9.]+\/s, ETA \d+s\) /);
  const checks: string[] = [];
  const v = new Progress("verify", 2, { tty: true, write: (s) => checks.push(s), words: ["passed", "failed"] });
  v.onEvent({ type: "done", result: { ok: true }, inFlight: 1 });
  v.onEvent({ type: "done", result: { ok: false }, inFlight: 0 });
  expect(checks.at(-1)).toContain("2/2");
  expect(checks.at(-1)).toContain("(1 passed, 1 failed)");
});
