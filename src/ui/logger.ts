import { createConsola, type ConsolaInstance } from "consola";

/** The one logger: consola writing to stderr only, so stdout stays data. */
export function createLogger(opts: { verbose?: boolean; quiet?: boolean } = {}): ConsolaInstance {
  return createConsola({
    level: opts.quiet ? 1 : opts.verbose ? 4 : 3,
    stdout: process.stderr,
    stderr: process.stderr,
    formatOptions: { date: false, colors: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR },
  });
}

export type Logger = ConsolaInstance;
