import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { RunContext } from "./context.ts";
import { manifestDrift, readManifest } from "./dataset/manifest.ts";
import { RUN_RECORD } from "./dataset/run-journal.ts";
import { InputError, UsageError } from "./errors.ts";
import type { Track } from "./track-types.ts";

interface TrackEntry {
  description: string;
  /** Made by `sekft gen` (its Track has `gen`); known without loading it, for `gen --help`. */
  byGen: boolean;
  load: () => Promise<Track>;
}

/** The registry (loaded lazily, so `--help` never evaluates a track). */
export const TRACKS: Record<string, TrackEntry> = {
  witness: {
    description: "witness examples proven by running their own answer text",
    byGen: true,
    load: () => import("./witness/track.ts").then((m) => m.track),
  },
  shell: { description: "shell-agent scenario bundles admitted by the sandbox gate", byGen: true, load: () => import("./shell/track.ts").then((m) => m.track) },
  rollout: {
    description: "operator trajectories judged by the checker (`sekft rollout`)",
    byGen: false,
    load: () => import("./rollout/track.ts").then((m) => m.track),
  },
};

/** The tracks `sekft gen` makes. */
export const GEN_TRACKS: readonly string[] = Object.keys(TRACKS).filter((name) => TRACKS[name]!.byGen);

/** Loads a track by name; an unknown name is a usage error listing the known ones. */
export async function loadTrack(name: string): Promise<Track> {
  const entry = Object.hasOwn(TRACKS, name) ? TRACKS[name] : undefined;
  if (!entry) throw new UsageError(`--track must be one of ${Object.keys(TRACKS).join(", ")}; got "${name}"`);
  return entry.load();
}

/**
 * Which track made a dataset, read from its manifest (`track`): for a file, the manifest beside it; for a
 * directory, its own manifest or those of its track subdirectories. Without a manifest: a file is chat JSONL
 * (the witness track re-runs any chat dataset); a directory of bundle files is the shell track's.
 */
export function detectTracks(target: string): { track: string; target: string }[] {
  if (!existsSync(target)) throw new InputError(`${target}: no such file or directory`);
  if (!statSync(target).isDirectory()) {
    const manifest = readManifest(dirname(target));
    return [{ track: manifest?.track ?? "witness", target }];
  }
  const own = readManifest(target);
  if (own) return [{ track: own.track, target }];
  const found = Object.keys(TRACKS).flatMap((name) => {
    const manifest = existsSync(join(target, name)) ? readManifest(join(target, name)) : undefined;
    return manifest ? [{ track: manifest.track, target: join(target, name) }] : [];
  });
  if (found.length) return found;
  const hasBundles = [join(target, "shell", "bundles"), join(target, "bundles"), target].some(
    (d) => existsSync(d) && statSync(d).isDirectory() && readdirSync(d).some((f) => f.endsWith(".json") && f !== "manifest.json" && f !== RUN_RECORD),
  );
  if (hasBundles) return [{ track: "shell", target }];
  throw new InputError(`${target}: no sekft manifest and no dataset found`, "Pass a chat JSONL file, or the --out directory of `sekft gen`.");
}

/**
 * Reports every file of a verify target that no longer matches the manifest it was written with (a directory:
 * all its manifest's files; a file: itself, when a manifest beside it lists it). Returns how many differ.
 */
export function reportManifestDrift(ctx: Pick<RunContext, "log">, target: string): number {
  const isDir = statSync(target).isDirectory();
  const dir = isDir ? target : dirname(target);
  const drift = manifestDrift(dir, isDir ? undefined : basename(target));
  for (const d of drift) {
    const path = join(dir, d.file);
    ctx.log.error(
      d.actual
        ? `${path} does not match its manifest: the manifest records sha256 ${d.expected}, the file has ${d.actual}`
        : `${path} does not match its manifest: ${d.why} (the manifest records sha256 ${d.expected})`,
    );
  }
  return drift.length;
}
