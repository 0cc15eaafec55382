import { defineCommand } from "citty";
import { createContext, configArgs } from "./_context.ts";

const args = {
  ...configArgs,
  track: { type: "string", description: "Ask only about one track: witness or shell (default: all commands)" },
  json: { type: "boolean", description: "Print the findings as JSON on stdout" },
} as const;

export default defineCommand({
  meta: {
    name: "doctor",
    description: "What sekft needs here, what is missing and how to get it (--track witness|shell); exit 2 if a needed tool is missing",
  },
  args,
  async run({ args: a }) {
    const { DOCTOR_TRACKS, readiness, runChecks, sandboxCheck } = await import("../doctor/checks.ts");
    const track = (a.track ?? "all") as (typeof DOCTOR_TRACKS)[number];
    if (!DOCTOR_TRACKS.includes(track)) {
      const { UsageError } = await import("../errors.ts");
      throw new UsageError(`--track must be witness or shell, got ${JSON.stringify(a.track)}`);
    }
    const ctx = await createContext(a);
    const checks = await runChecks(ctx.env, ctx.config.witness, track);
    if (track !== "witness" && checks.find((c) => c.name === "docker")?.ok) checks.push(await sandboxCheck(ctx.env, ctx.config.shell));
    const ok = checks.every((c) => c.ok || !c.required);
    if (a.json) process.stdout.write(`${JSON.stringify({ ok, track, checks }, null, 2)}\n`);
    else {
      for (const c of checks) {
        const line = c.ok
          ? `ok    ${c.name.padEnd(11)} ${c.version ?? ""}${c.path ? `  (${c.path})` : ""}`
          : `${c.required ? "MISS" : "warn"}  ${c.name.padEnd(11)} ${c.version ? `${c.version}; ` : ""}${c.fix}\n      ${"".padEnd(11)} needed by: ${c.for}`;
        process.stderr.write(`${line}\n`);
      }
      for (const line of readiness(checks)) process.stderr.write(`${line}\n`);
    }
    const missing = checks.filter((c) => !c.ok && c.required);
    if (missing.length) {
      const { DependencyError } = await import("../errors.ts");
      throw new DependencyError(`missing: ${missing.map((c) => c.name).join(", ")}`, "Each MISS line above says how to get it.");
    }
  },
});
