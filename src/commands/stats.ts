import { defineCommand } from "citty";
import { detectTracks, loadTrack } from "../tracks.ts";
import { configArgs, createContext } from "./_context.ts";

const args = {
  target: { type: "positional", required: true, description: "A chat JSONL dataset, or an output directory of `sekft gen`" },
  ...configArgs,
  json: { type: "boolean", description: "Print the statistics as JSON on stdout" },
} as const;

export default defineCommand({
  meta: { name: "stats", description: "Counts per dimension, distinct answers, duplicate questions, answer lengths (per track)" },
  args,
  async run({ args: a }) {
    const parts = detectTracks(a.target as string);
    const ctx = await createContext(a);
    for (const part of parts) {
      const track = await loadTrack(part.track);
      for (const stats of await track.stats(ctx, part.target)) process.stdout.write(a.json ? `${JSON.stringify(stats, null, 2)}\n` : track.formatStats(stats));
    }
  },
});
