import { defineCommand } from "citty";
import { writeReport } from "../view/report.ts";
import { datasetDir } from "./_dir.ts";
import { configArgs, createContext } from "./_context.ts";

const args = {
  dir: { type: "positional", required: true, description: "An output directory of `sekft gen` or `sekft rollout`" },
  out: { type: "string", required: true, description: "The HTML file to write (self-contained: opens offline)" },
  ...configArgs,
} as const;

export default defineCommand({
  meta: { name: "report", description: "Write the overview of a dataset as one self-contained HTML file" },
  args,
  async run({ args: a }) {
    const root = datasetDir(a.dir as string);
    const ctx = await createContext(a);
    await writeReport(ctx, root, a.out as string);
    ctx.log.success(`wrote ${a.out}`);
  },
});
