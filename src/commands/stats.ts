import { defineCommand } from "citty";

const args = {
  file: { type: "positional", required: true, description: "A chat JSONL dataset" },
  json: { type: "boolean", description: "Print the statistics as JSON on stdout" },
  verbose: { type: "boolean", description: "Error stacks" },
} as const;

export default defineCommand({
  meta: { name: "stats", description: "Counts per dimension, distinct answers, duplicate questions, answer lengths" },
  args,
  async run({ args: a }) {
    const { datasetStats, formatStats } = await import("../witness/stats.ts");
    const stats = datasetStats(a.file as string);
    process.stdout.write(a.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
  },
});
