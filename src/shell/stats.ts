import { bundleFiles, readBundle } from "./store.ts";
import { dimensionLines } from "../ui/format.ts";
import { varietyOf, type Variety } from "./variety.ts";

export interface BundleStats {
  dir: string;
  bundles: number;
  /** Counts per taxonomy axis value, the expected terminal and the author kind. */
  dimensions: Record<string, Record<string, number>>;
  /** Reference length in commands. */
  reference_commands: { min: number; median: number; max: number };
  flaky: number;
  /** Distinct values per element (announcement templates, provider bodies, rule sentences, paths), the most shared sentence. */
  variety: Variety;
}

/** Counts of a bundle directory per taxonomy axis; every bundle is read and validated first. */
export function bundleStats(dir: string): BundleStats {
  const bundles = bundleFiles(dir).map((f) => readBundle(f));
  const dimensions: BundleStats["dimensions"] = {};
  const bump = (dim: string, value: string): void => {
    dimensions[dim] ??= {};
    dimensions[dim][value] = (dimensions[dim][value] ?? 0) + 1;
  };
  for (const b of bundles) {
    for (const [axis, value] of Object.entries(b.cell)) bump(axis, String(value));
    bump("terminal", b.terminal);
    bump("author", b.author.kind);
  }
  const lengths = bundles.map((b) => b.reference.length).sort((x, y) => x - y);
  return {
    dir,
    bundles: bundles.length,
    dimensions,
    reference_commands: { min: lengths[0] ?? 0, median: lengths[Math.floor(lengths.length / 2)] ?? 0, max: lengths.at(-1) ?? 0 },
    flaky: bundles.filter((b) => b.gate.flaky).length,
    variety: varietyOf(bundles),
  };
}

/** Renders bundle statistics as a readable report. */
export function formatBundleStats(s: BundleStats): string {
  const out = [
    `${s.dir}: ${s.bundles} bundles, ${s.flaky} flaky`,
    `reference commands: min ${s.reference_commands.min}, median ${s.reference_commands.median}, max ${s.reference_commands.max}`,
  ];
  const v = s.variety;
  out.push(
    `distinct: ${v.announcement_templates} announcement templates, ${v.provider_bodies} provider bodies, ${v.rule_sentences} rule sentences, ${v.paths} paths`,
    `most shared sentence: ${(v.top_sentence.share * 100).toFixed(1)}% of bundles: ${JSON.stringify(v.top_sentence.text)}`,
  );
  out.push(...dimensionLines(s.dimensions));
  return `${out.join("\n")}\n`;
}
