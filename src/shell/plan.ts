import type { ShellConfig } from "../config/shell-schema.ts";
import { ConfigError } from "../errors.ts";
import type { Cell } from "./bundle.ts";
import { builtinSupports } from "./builtin/compose.ts";
import { Rng } from "../rng.ts";
import { allocate } from "./allocate.ts";

const weights = (table: Record<string, { weight: number }>): Record<string, number> => Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.weight]));

/** Plans `count` cells: each axis split by weight (so terminals stay balanced), shuffled and zipped, seeded. */
export function planCells(shell: ShellConfig, count: number, seed: number): Cell[] {
  const rng = new Rng(`plan:${seed}`);
  const axis = (name: string, table: Record<string, { weight: number }>): string[] => {
    const list = allocate(weights(table), count);
    if (list.length === 0) throw new ConfigError(`shell.${name}: every weight is 0`);
    return rng.shuffle(list);
  };
  const difficulties = axis("difficulties", shell.difficulties);
  const tasks = axis("tasks", shell.tasks);
  const providers = axis("providers", shell.providers);
  const announcements = axis("announcements", shell.announcements);
  return difficulties.map((difficulty, i) => {
    const provider = providers[i]!;
    const depths = shell.providers[provider]!.doc_depths.filter((d) => (shell.doc_depths[d]?.weight ?? 0) > 0);
    if (depths.length === 0) throw new ConfigError(`shell.providers.${provider}.doc_depths: none has a weight above 0`);
    const doc_depth = weighted(rng, Object.fromEntries(depths.map((d) => [d, shell.doc_depths[d]!.weight])));
    return { task: tasks[i]!, provider, announcement: announcements[i]!, doc_depth, difficulty };
  });
}

function weighted(rng: Rng, w: Record<string, number>): string {
  const total = Object.values(w).reduce((a, b) => a + b, 0);
  let x = rng.next() * total;
  for (const [k, v] of Object.entries(w)) if ((x -= v) < 0) return k;
  return Object.keys(w).at(-1)!;
}

/** Refuses, before any work, a config whose enabled axis entries builtin templates cannot compose. */
export function checkBuiltinCoverage(shell: ShellConfig): void {
  const probe = { task: "file_content", provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };
  const axes: Array<[keyof typeof probe, string, Record<string, { weight: number }>]> = [
    ["task", "tasks", shell.tasks],
    ["provider", "providers", shell.providers],
    ["announcement", "announcements", shell.announcements],
    ["difficulty", "difficulties", shell.difficulties],
  ];
  for (const [field, key, table] of axes) {
    for (const [name, entry] of Object.entries(table)) {
      if (entry.weight <= 0) continue;
      const why = builtinSupports({ ...probe, [field]: name });
      if (why) throw new ConfigError(`shell.${key}.${name}: ${why}`, "Set its weight to 0, or author with --author model.");
    }
  }
}
