import { defineCommand } from "citty";
import { existsSync, writeFileSync } from "node:fs";
import { DEFAULT_CONFIG_TEXT, loadConfig, printConfig } from "../config/load.ts";
import { fileError, UsageError } from "../errors.ts";
import { checkWitnessBin } from "../witness/locate.ts";
import { createLogger } from "../ui/logger.ts";

const fileArg = { file: { type: "positional", required: false, description: "Config file (default: the embedded config)" } } as const;

const check = defineCommand({
  meta: { name: "check", description: "Validate a config file; errors name the line or key (exit 2)" },
  args: fileArg,
  run({ args }) {
    const file = args.file as string | undefined;
    checkWitnessBin(loadConfig(file).witness.witness_bin);
    createLogger().success(`${file ?? "embedded config.toml"}: ok`);
  },
});

const print = defineCommand({
  meta: { name: "print", description: "Print the effective config (embedded defaults < file) as TOML" },
  args: fileArg,
  run({ args }) {
    process.stdout.write(printConfig(loadConfig(args.file as string | undefined)));
  },
});

const initArgs = { file: { type: "positional", required: true, description: "Where to write the starter config" } } as const;
const init = defineCommand({
  meta: { name: "init", description: "Write a commented starter config; never overwrites" },
  args: initArgs,
  run({ args }) {
    const file = args.file as string;
    if (existsSync(file)) throw new UsageError(`${file} already exists; not overwriting it`, "Choose another path or remove the file first.");
    try {
      writeFileSync(file, DEFAULT_CONFIG_TEXT, { flag: "wx" });
    } catch (error) {
      throw fileError(error, "write", file);
    }
    createLogger().success(`wrote ${file}`);
  },
});

export default defineCommand({
  meta: { name: "config", description: "Check, print or create a config file" },
  subCommands: { check, print, init },
});
