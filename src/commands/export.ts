import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { configArgs, createContext } from "./_context.ts";

const harbor = defineCommand({
  meta: { name: "harbor", description: "One Harbor task directory (task.toml schema 1.4) per shell bundle, under --out" },
  args: {
    bundles: { type: "positional", required: true, description: "A shell bundle directory (the --out of `sekft gen --track shell`, or its shell/bundles)" },
    out: { type: "string", description: "Directory of the task directories (one per bundle, named by its id)" },
    ...configArgs,
  },
  async run({ args }) {
    if (!args.out) throw new UsageError("--out DIR is required");
    if ((args._ as string[]).length > 1) throw new UsageError("one bundle directory at a time");
    const ctx = await createContext(args);
    const { exportHarbor } = await import("../harbor/export.ts");
    await exportHarbor(ctx, args.bundles as string, args.out);
  },
});

export default defineCommand({
  meta: { name: "export", description: "Write shell bundles in another framework's format: harbor" },
  subCommands: { harbor },
});
