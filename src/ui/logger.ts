import { createConsola, type ConsolaInstance, type ConsolaReporter } from "consola";
import { printable } from "./format.ts";

/**
 * The one logger: consola writing to stderr only, so stdout stays data. Every string it is given passes through
 * `printable` (newlines kept): text that quotes a dataset or a model never reaches the terminal as control codes.
 * A field meant to be one line is escaped whole by its caller, so it cannot start a line of its own either.
 */
export function createLogger(opts: { verbose?: boolean; quiet?: boolean } = {}): ConsolaInstance {
  const logger = createConsola({
    level: opts.quiet ? 1 : opts.verbose ? 4 : 3,
    stdout: process.stderr,
    stderr: process.stderr,
    formatOptions: { date: false, colors: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR },
  });
  const inner = logger.options.reporters;
  const escaping: ConsolaReporter = {
    log: (logObj, ctx) => {
      const args = logObj.args.map((a: unknown) => (typeof a === "string" ? printable(a, { multiline: true }) : a));
      const message = typeof logObj.message === "string" ? printable(logObj.message, { multiline: true }) : logObj.message;
      for (const r of inner) r.log({ ...logObj, args, ...(message === undefined ? {} : { message }) }, ctx);
    },
  };
  return logger.setReporters([escaping]);
}

export type Logger = ConsolaInstance;
