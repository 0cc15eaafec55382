import { existsSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { Config } from "../config/schema.ts";
import { readJsonl } from "../dataset/jsonl.ts";
import { type Manifest, readManifest } from "../dataset/manifest.ts";
import { SIGNATURE_FILE } from "../dataset/sign.ts";
import { ROLLOUT_FILES, type Trajectory } from "../rollout/record.ts";
import { rolloutStats } from "../rollout/stats.ts";
import { bundleStats } from "../shell/stats.ts";
import { bundleFiles, readBundle } from "../shell/store.ts";
import { detectTracks } from "../tracks.ts";
import { SHELL_LAYOUT } from "../shell/layout.ts";
import { WITNESS_LAYOUT } from "../witness/layout.ts";
import { datasetStats } from "../witness/stats.ts";
import { Scans } from "./scans.ts";

type Counts = Record<string, number>;

/** A grid of counts: rows × cols, every pair shown (an absent pair is a visible empty cell). */
export interface Grid {
  title: string;
  rowLabel: string;
  colLabel: string;
  rows: string[];
  cols: string[];
  /** Per `row\tcol`: one count (heatmap) or counts per outcome (outcome shares). */
  cells: Record<string, Counts>;
}

export interface TrackOverview {
  track: string;
  /** The track's directory relative to the viewed one. */
  dir: string;
  /** Headline figures, the same numbers `sekft stats --json` prints. */
  headline: Counts;
  /** Counts per value of each dimension (summed over splits for witness; outcomes for rollouts). */
  dimensions: Record<string, Counts>;
  grids: Grid[];
  splits: Counts;
  rejects: Counts;
  manifest: Manifest | null;
  signature: "signed (manifest.dsse.json present)" | "unsigned";
}

export interface Overview {
  name: string;
  tracks: TrackOverview[];
}

const bump = (c: Counts, k: string, n = 1): void => {
  c[k] = (c[k] ?? 0) + n;
};

/** Rejects grouped by their reason (long reasons cut, so one cause is one bar). */
function rejectsByReason(file: string): Counts {
  const out: Counts = {};
  if (!existsSync(file)) return out;
  for (const r of readJsonl<{ reason?: unknown }>(file)) bump(out, String(r.value?.reason ?? "(no reason)").slice(0, 100));
  return out;
}

function common(root: string, dir: string, track: string): Pick<TrackOverview, "track" | "dir" | "manifest" | "signature"> {
  return {
    track,
    dir: relative(root, dir) || ".",
    manifest: readManifest(dir) ?? null,
    signature: existsSync(join(dir, SIGNATURE_FILE)) ? "signed (manifest.dsse.json present)" : "unsigned",
  };
}

async function witnessOverview(root: string, dir: string, scans: Scans): Promise<TrackOverview> {
  const headline: Counts = {};
  const dimensions: Record<string, Counts> = {};
  const splits: Counts = {};
  // One pass over meta.jsonl (the dimensions of each split and the attestor × command grid together) and one over
  // each split file (its line index: the count shown here, the offsets the example browser pages by).
  const metaFile = join(dir, WITNESS_LAYOUT.meta);
  const splitNames = ["train", "valid"] as const;
  const [meta, ...indexes] = await Promise.all([
    existsSync(metaFile) ? scans.witnessMeta(metaFile) : undefined,
    ...splitNames.map((split) => scans.lineIndex(join(dir, WITNESS_LAYOUT[split]))),
  ]);
  for (const [k, split] of splitNames.entries()) {
    const file = join(dir, WITNESS_LAYOUT[split]);
    const n = indexes[k]!.starts.length;
    splits[split] = n;
    if (!n) continue;
    headline[`${split}.examples`] = n;
    // The metadata path is `stats`' own when meta.jsonl covers the split; otherwise stats reads the text.
    const covered = meta?.splits[split];
    const dims = covered?.count === n ? covered.dimensions : (await datasetStats(file)).dimensions;
    for (const [dim, counts] of Object.entries(dims)) for (const [v, c] of Object.entries(counts)) bump((dimensions[dim] ??= {}), v, c);
  }
  const grid: Grid = {
    title: "attestor × command",
    rowLabel: "attestor",
    colLabel: "command",
    rows: [...(meta?.attestors ?? [])].sort(),
    cols: [...(meta?.commands ?? [])].sort(),
    cells: meta?.cells ?? {},
  };
  return { ...common(root, dir, "witness"), headline, dimensions, grids: [grid], splits, rejects: rejectsByReason(join(dir, WITNESS_LAYOUT.rejects)) };
}

function shellOverview(root: string, dir: string, config: Config): TrackOverview {
  const stats = bundleStats(dir);
  const cells: Grid["cells"] = {};
  for (const b of bundleFiles(dir).map((f) => readBundle(f))) bump((cells[`${b.cell.task}\t${b.cell.provider}`] ??= {}), "n");
  const grid: Grid = {
    title: "task × provider",
    rowLabel: "task",
    colLabel: "provider",
    rows: Object.keys(config.shell.tasks),
    cols: Object.keys(config.shell.providers),
    cells,
  };
  const trackDir = existsSync(join(dir, "shell", "manifest.json")) ? join(dir, "shell") : dir;
  return {
    ...common(root, trackDir, "shell"),
    headline: { bundles: stats.bundles, flaky: stats.flaky },
    dimensions: stats.dimensions,
    grids: [grid],
    splits: { bundles: stats.bundles },
    rejects: rejectsByReason(join(trackDir, SHELL_LAYOUT.rejects)),
  };
}

async function rolloutOverview(root: string, dir: string, config: Config, scans: Scans): Promise<TrackOverview> {
  const panic = Object.entries(config.shell.difficulties)
    .filter(([, d]) => d.terminal === "panic")
    .map(([n]) => n);
  const stats = rolloutStats(dir, config.shell.min_terminal_share, panic);
  const dimensions: Record<string, Counts> = {};
  const cells: Grid["cells"] = {};
  const outcomes: Counts = {};
  for (const { value: t } of readJsonl<Trajectory>(join(dir, ROLLOUT_FILES.trajectories))) {
    bump(outcomes, t.outcome);
    bump((cells[`${t.cell.task}\t${t.cell.provider}`] ??= {}), t.outcome);
  }
  dimensions.outcome = outcomes;
  for (const [axis, values] of Object.entries(stats.by))
    for (const [v, o] of Object.entries(values))
      bump(
        (dimensions[axis] ??= {}),
        v,
        Object.values(o).reduce((s, n) => s + n, 0),
      );
  const splits: Counts = {};
  const L = ROLLOUT_FILES;
  for (const f of [L.train, L.valid, L.dpo, L.dpoValid, L.kto, L.ktoValid, L.ktoSteps, L.ktoStepsValid])
    splits[f.replace(".jsonl", "")] = (await scans.lineIndex(join(dir, f))).starts.length;
  return {
    ...common(root, dir, "rollout"),
    headline: { samples: stats.samples, keepers: stats.keepers },
    dimensions,
    grids: [
      {
        title: "outcome shares per task × provider",
        rowLabel: "task",
        colLabel: "provider",
        rows: Object.keys(config.shell.tasks),
        cols: Object.keys(config.shell.providers),
        cells,
      },
    ],
    splits,
    rejects: {},
  };
}

/** One overview builder per track name (a new track adds an entry). */
const OVERVIEWS: Record<string, (root: string, dir: string, config: Config, scans: Scans) => TrackOverview | Promise<TrackOverview>> = {
  witness: (root, dir, _config, scans) => witnessOverview(root, dir, scans),
  shell: shellOverview,
  rollout: rolloutOverview,
};

/**
 * The overview of every track found under DIR: the figures `stats` prints, grids, splits, rejects, manifests.
 * `scans` holds the reads it makes, for the browsers to reuse.
 */
export async function buildOverview(root: string, config: Config, scans = new Scans()): Promise<Overview> {
  const tracks: TrackOverview[] = [];
  for (const part of detectTracks(root)) {
    const build = Object.hasOwn(OVERVIEWS, part.track) ? OVERVIEWS[part.track] : undefined;
    if (build) tracks.push(await build(root, part.target, config, scans));
  }
  return { name: basename(root), tracks };
}
