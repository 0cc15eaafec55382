import type { CommandDef } from "citty";

/**
 * Each command's description, as its own file's `meta.description` says it, for `sekft --help`: the top-level
 * usage lists them without loading any command (a command module pulls in its feature code). A unit test
 * checks that every command of cli.ts has its line here and that each line equals the command's own.
 */
export const SUMMARIES: Readonly<Record<string, string>> = {
  gen: "Generate execution-verified examples (witness) or gated scenario bundles (shell)",
  verify: "Re-check a dataset by the track its manifest names (any chat JSONL: re-run its answers); exit 1 if any fails",
  stats: "Counts per dimension, distinct answers, duplicate questions, answer lengths (per track)",
  sandbox: "The shell track's sandbox: build | check | clean",
  config: "Check, print or create a config file",
  doctor: "What sekft needs here, what is missing and how to get it (--track witness|shell); exit 2 if a needed tool is missing",
  trace: "VeriTrain training traces: check | report | from-mlx | from-hf | sign | verify-signature",
  rollout: "Run operators on scenario bundles in the sandbox: trajectories, SFT keepers, DPO pairs, KTO lines",
  merge: "Merge the shard outputs of one run into the dataset the unsharded run makes (SHARD_DIR... after OUT)",
  k8s: "Kubernetes manifests for a sharded run",
  view: "Browse a dataset in the browser: overview, examples, bundles, trajectories, pairs (127.0.0.1 only)",
  report: "Write the overview of a dataset as one self-contained HTML file",
  export: "Write shell bundles in another framework's format: harbor",
  import: "Read another framework's tasks as shell bundles: harbor",
  eval: "Score a model on held-out data by the same proof as the data: pass@1/pass@k, causes, intervals; --compare two reports",
};

/** The command map as citty's usage reads it: a stand-in holding the summary, or the command itself where none is written. */
export async function commandSummaries(commands: Readonly<Record<string, () => Promise<CommandDef<any>>>>): Promise<Record<string, CommandDef<any>>> {
  const out: Record<string, CommandDef<any>> = {};
  for (const [name, load] of Object.entries(commands)) {
    const description = SUMMARIES[name];
    out[name] = description === undefined ? await load() : { meta: { name, description } };
  }
  return out;
}
