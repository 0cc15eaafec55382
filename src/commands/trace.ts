import { defineCommand } from "citty";

// Subcommands load lazily, like the top-level map: `trace check` never evaluates node:crypto code.
export default defineCommand({
  meta: { name: "trace", description: "VeriTrain training traces: check | report | from-mlx | from-hf | sign | verify-signature" },
  subCommands: {
    check: () => import("./trace/check.ts").then((m) => m.default),
    report: () => import("./trace/report.ts").then((m) => m.default),
    "from-mlx": () => import("./trace/from.ts").then((m) => m.fromMlx),
    "from-hf": () => import("./trace/from.ts").then((m) => m.fromHf),
    sign: () => import("./trace/sign.ts").then((m) => m.sign),
    "verify-signature": () => import("./trace/sign.ts").then((m) => m.verifySignature),
  },
});
