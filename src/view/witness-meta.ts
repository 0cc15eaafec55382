import { InputError } from "../errors.ts";
import { type DatasetStats, isMetaSpec, tallyMeta } from "../witness/stats.ts";
import { eachLine } from "./lines.ts";

type Counts = Record<string, number>;

/** One meta record as the example browser lists it, and where its line lies. */
export interface MetaRow {
  id: string;
  split: string | undefined;
  /** The browser's filters: step, command, attestors (comma-joined). */
  dims: Record<string, string>;
  start: number;
  end: number;
}

/** What the overview needs from a witness meta.jsonl. */
export interface MetaScan {
  /** Per split: its records and their dimension counts, tallied by `stats`' own `tallyMeta`. */
  splits: Record<string, { count: number; dimensions: DatasetStats["dimensions"] }>;
  /** attestor × command: `attestor\tcommand` → { n }. */
  cells: Record<string, Counts>;
  attestors: string[];
  commands: string[];
}

/** A bad record, by its line number (the scan's callback knows no file name to put in an InputError). */
class MetaLineError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const add = (c: Counts, k: string, n: number): void => {
  c[k] = (c[k] ?? 0) + n;
};

/** Checks every record of meta.jsonl and tallies it, or (given `rows`) collects the browser's rows instead. */
async function scanMeta(metaFile: string, rows?: MetaRow[]): Promise<MetaScan> {
  const splits: MetaScan["splits"] = {};
  const cells: MetaScan["cells"] = {};
  const attestors = new Set<string>();
  const commands = new Set<string>();
  await eachLine(metaFile, (text, start, end, lineNo) => {
    let r: { id?: unknown; split?: string; spec?: unknown };
    try {
      r = JSON.parse(text);
    } catch (error) {
      throw new MetaLineError(lineNo, `not valid JSON (${(error as Error).message})`);
    }
    const spec = r?.spec;
    if (!isMetaSpec(spec)) throw new MetaLineError(lineNo, `not a witness meta record: "spec" must be an object with attestors, rules and keys`);
    if (rows) {
      const dims = { step: String(spec.step), command: String(spec.command), attestors: spec.attestors.join(",") };
      rows.push({ id: String(r.id), split: r.split, dims, start, end });
      return;
    }
    const into = (splits[r.split ?? ""] ??= { count: 0, dimensions: {} });
    into.count += 1;
    tallyMeta(spec, into.dimensions);
    commands.add(spec.command);
    for (const a of spec.attestors) {
      attestors.add(a);
      add((cells[`${a}\t${spec.command}`] ??= {}), "n", 1);
    }
  });
  return { splits, cells, attestors: [...attestors], commands: [...commands] };
}

/**
 * The overview's tallies of meta.jsonl, in one pass (no promise per line, nothing kept per record). A bad line
 * is an InputError naming file and line.
 */
export async function scanWitnessMeta(metaFile: string): Promise<MetaScan> {
  return withFileLine(metaFile, () => scanMeta(metaFile));
}

/** The example browser's rows of meta.jsonl, in file order. */
export async function witnessMetaRows(metaFile: string): Promise<MetaRow[]> {
  const rows: MetaRow[] = [];
  await withFileLine(metaFile, () => scanMeta(metaFile, rows));
  return rows;
}

async function withFileLine<T>(metaFile: string, scan: () => Promise<T>): Promise<T> {
  try {
    return await scan();
  } catch (error) {
    if (error instanceof MetaLineError) throw new InputError(`${metaFile}:${error.line}: ${error.reason}`);
    throw error;
  }
}
