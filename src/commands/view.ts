import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { serveView } from "../view/server.ts";
import { datasetDir } from "./_dir.ts";
import { configArgs, createContext } from "./_context.ts";

const args = {
  dir: { type: "positional", required: true, description: "An output directory of `sekft gen` or `sekft rollout`" },
  port: { type: "string", description: "Port on 127.0.0.1 (default: any free port)" },
  ...configArgs,
} as const;

export default defineCommand({
  meta: { name: "view", description: "Browse a dataset in the browser: overview, examples, bundles, trajectories, pairs (127.0.0.1 only)" },
  args,
  async run({ args: a }) {
    const port = a.port === undefined ? 0 : Number(a.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0-65535; got "${a.port}"`);
    const root = datasetDir(a.dir as string);
    const ctx = await createContext(a);
    await serveView(ctx, {
      root,
      port,
      onListening: (url) => {
        process.stdout.write(`${url}\n`);
        ctx.log.info(`serving ${root} at ${url} (Ctrl-C to stop)`);
      },
    });
  },
});
