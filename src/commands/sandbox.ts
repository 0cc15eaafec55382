import { defineCommand } from "citty";
import { configArgs, createContext } from "./_context.ts";

const build = defineCommand({
  meta: { name: "build", description: "Build the sandbox image (--offline: from host dash + busybox, no registry)" },
  args: { ...configArgs, offline: { type: "boolean", description: "Pack the host's dash and busybox; no registry access" } },
  async run({ args }) {
    const ctx = await createContext(args);
    const { buildSandbox } = await import("../sandbox/admin.ts");
    await buildSandbox(ctx, { offline: Boolean(args.offline) });
  },
});

const check = defineCommand({
  meta: { name: "check", description: "Print the engine version, the image digest and the security settings applied" },
  args: { ...configArgs },
  async run({ args }) {
    const ctx = await createContext(args);
    const { checkSandbox } = await import("../sandbox/admin.ts");
    const { locateWitness } = await import("../witness/locate.ts");
    await checkSandbox(ctx, locateWitness(ctx.env, ctx.config.witness.witness_bin));
  },
});

const clean = defineCommand({
  meta: { name: "clean", description: "Remove the containers of dead sekft runs (--all: every container, volume and image sekft labelled)" },
  args: { ...configArgs, all: { type: "boolean", description: "Also remove live runs' containers, and the images" } },
  async run({ args }) {
    const ctx = await createContext(args);
    const { cleanSandbox } = await import("../sandbox/admin.ts");
    await cleanSandbox(ctx, { all: Boolean(args.all) });
  },
});

export default defineCommand({
  meta: { name: "sandbox", description: "The shell track's sandbox: build | check | clean" },
  subCommands: { build, check, clean },
});
