import { defineCommand } from "citty";
import { InputError, WorkFailedError } from "../../errors.ts";
import { configArgs, createContext } from "../_context.ts";
import { printable } from "../../ui/format.ts";

const args = {
  ...configArgs,
  file: { type: "positional", required: true, description: "Trace file(s) (VeriTrain 1.0 JSON)" },
  json: { type: "boolean", description: "One JSON record per file on stdout" },
} as const;

export default defineCommand({
  meta: { name: "check", description: "Schema, consistency, privacy and gate-order rules; exit 0 clean, 1 a rule failed, 2 unreadable" },
  args,
  async run({ args: a }) {
    const ctx = await createContext(a);
    const { checkExitCode, checkFile, renderCheck } = await import("../../trace/check.ts");
    const files = a._.length ? (a._ as string[]) : [a.file as string];
    const results = files.map((f) => checkFile(f, ctx.config.trace.privacy_keys));
    for (const r of results) {
      if (a.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stderr.write(`${printable(renderCheck(r).join("\n"), { multiline: true })}\n`);
    }
    const code = checkExitCode(results);
    const bad = results.filter((r) => r.status !== "ok").length;
    if (code === 2) throw new InputError(`${bad} of ${files.length} trace file(s) failed; at least one is unreadable`);
    if (code === 1) throw new WorkFailedError(`${bad} of ${files.length} trace file(s) failed a rule`);
  },
});
