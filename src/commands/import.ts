import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { configArgs, createContext } from "./_context.ts";

const harbor = defineCommand({
  meta: { name: "harbor", description: "Harbor task directories sekft can build offline become shell bundles, each through the gate" },
  args: {
    tasks: { type: "positional", required: true, description: "Harbor task directories (each with task.toml)" },
    out: { type: "string", description: "Output directory: bundles in OUT/shell/bundles, refused ones in OUT/shell/rejects.jsonl" },
    ...configArgs,
  },
  async run({ args }) {
    if (!args.out) throw new UsageError("--out DIR is required");
    const dirs = (args._ as string[]).length > 0 ? (args._ as string[]) : [args.tasks as string];
    const ctx = await createContext(args);
    const { importHarbor } = await import("../harbor/import.ts");
    await importHarbor(ctx, dirs, args.out);
  },
});

export default defineCommand({
  meta: { name: "import", description: "Read another framework's tasks as shell bundles: harbor" },
  subCommands: { harbor },
});
