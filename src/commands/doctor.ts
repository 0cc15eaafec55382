import { defineCommand } from "citty";
import { createContext, configArgs } from "./_context.ts";

const args = { ...configArgs, json: { type: "boolean", description: "Print the findings as JSON on stdout" } } as const;

export default defineCommand({
  meta: { name: "doctor", description: "Find witness, openssl, git, dash and the Docker engine; exit 2 if one is missing" },
  args,
  async run({ args: a }) {
    const ctx = await createContext(a);
    const { runChecks, sandboxCheck } = await import("../doctor/checks.ts");
    const checks = await runChecks(ctx.env, ctx.config.witness.witness_bin);
    if (checks.find((c) => c.name === "docker")?.ok) checks.push(await sandboxCheck(ctx.env, ctx.config.shell));
    if (a.json) process.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok || !c.required), checks }, null, 2)}\n`);
    else {
      for (const c of checks) {
        const line = c.ok
          ? `ok    ${c.name.padEnd(8)} ${c.version ?? ""}${c.path ? `  (${c.path})` : ""}`
          : `${c.required ? "MISS" : "warn"}  ${c.name.padEnd(8)} ${c.fix}`;
        process.stderr.write(`${line}\n`);
      }
    }
    const missing = checks.filter((c) => !c.ok && c.required);
    if (missing.length) {
      const { DependencyError } = await import("../errors.ts");
      throw new DependencyError(`missing: ${missing.map((c) => c.name).join(", ")}`);
    }
  },
});
