import { existsSync, rmSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";
import { canonical, sha256 } from "./hash.ts";
import { Journal, writeFileAtomic } from "./jsonl.ts";

/**
 * What decides a run's output, as flat named fields (config digest, seed, track, generator, shard, operator …):
 * a directory holds one run, and a rerun with other values would mix two runs' items under one manifest.
 */
export type RunIdentity = Readonly<Record<string, string | number>>;

/** The file that records a run's identity in a track directory that resumes from its outputs (shell bundles). */
export const RUN_RECORD = "run.json";

/** A line of a journal that is not an item: the run's identity (`part` absent), or that of one part of it. */
interface HeaderLine {
  sekft_run: RunIdentity;
  part?: string;
}

/** The digest an entry carries: sha256 over its canonical JSON without the digest field. */
export function entryDigest(entry: object): string {
  const { digest: _d, ...rest } = entry as { digest?: unknown };
  return sha256(canonical(rest));
}

/** The entry with its digest field added. */
export function sealEntry<T extends object>(entry: T): T & { digest: string } {
  return { ...entry, digest: entryDigest(entry) };
}

/** True when the entry carries a digest and it matches the entry's content. */
export function sealHolds(entry: unknown): boolean {
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) return false;
  const digest = (entry as { digest?: unknown }).digest;
  return typeof digest === "string" && digest === entryDigest(entry);
}

/** `seed 5 ≠ 7`-style lines for every field that differs (digests shortened to 12 characters). */
export function identityDifferences(recorded: RunIdentity, current: RunIdentity): string[] {
  const show = (v: string | number | undefined): string =>
    v === undefined ? "(none)" : typeof v === "string" && /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : String(v);
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])];
  return keys.filter((k) => recorded[k] !== current[k]).map((k) => `${k.replaceAll("_", " ")} ${show(recorded[k])} ≠ ${show(current[k])}`);
}

/** Refuses a rerun whose identity differs from the one a directory records (exit 2), naming what differs. */
function refuseOther(where: string, what: string, dir: string): never {
  throw new UsageError(
    `${where} belongs to another run: ${what}`,
    `Rerun with the recorded settings to resume, pick another --out, or add --force to start over (it removes ${dir}).`,
  );
}

function refuseUnknown(where: string, why: string, dir: string): never {
  throw new UsageError(`${where}: ${why}, so this run cannot resume it`, `Add --force to start over (it removes ${dir}), or pick another --out.`);
}

/**
 * A journal that belongs to one run: its first line records the run's identity, every entry carries a digest.
 * Opening it with another identity is refused (exit 2); a journal without that first line (an older sekft's)
 * is "identity unknown" and refused too. An entry whose digest does not hold is left out of `records` and
 * reported in `broken`, so its work is redone, never copied into outputs.
 */
export class RunJournal<T extends object> implements Disposable {
  private readonly journal: Journal<T | (HeaderLine & { digest?: string })>;
  /** The entries whose digests hold, without their digest field, in journal order. */
  readonly records: T[] = [];
  /** Lines of entries that failed their digest check (edited, or not an entry at all). */
  readonly broken: number[] = [];
  private readonly parts = new Map<string, RunIdentity>();

  /** `dir`: what --force would remove, named in the refusals. */
  constructor(
    readonly file: string,
    identity: RunIdentity,
    private readonly dir: string,
  ) {
    this.journal = new Journal(file);
    const [first, ...rest] = this.journal.records;
    if (first === undefined) {
      this.journal.append(sealEntry({ sekft_run: identity }), { durable: true });
      return;
    }
    const header = first as Partial<HeaderLine>;
    if (!header.sekft_run || header.part !== undefined) refuseUnknown(file, "no run identity on its first line (written by an older sekft?)", dir);
    if (!sealHolds(header)) refuseUnknown(file, "its run identity does not match its digest (edited?)", dir);
    const differs = identityDifferences(header.sekft_run, identity);
    if (differs.length) refuseOther(file, differs.join(", "), dir);
    for (const [i, raw] of rest.entries()) {
      const line = this.journal.lines[i + 1]!;
      const ok = sealHolds(raw);
      const part = raw as Partial<HeaderLine>;
      if (ok && part.sekft_run && typeof part.part === "string") this.parts.set(part.part, part.sekft_run);
      else if (ok && !part.sekft_run) {
        const { digest: _d, ...entry } = raw as T & { digest: string };
        this.records.push(entry as T);
      } else this.broken.push(line);
    }
  }

  get repaired(): boolean {
    return this.journal.repaired;
  }

  /**
   * Claims one part of the run (a rollout's operator): a part seen before must have the same identity, a new
   * one is recorded. Parts let several operators accumulate in one directory while each stays one run.
   */
  claimPart(name: string, identity: RunIdentity): void {
    const recorded = this.parts.get(name);
    if (!recorded) {
      this.journal.append(sealEntry({ sekft_run: identity, part: name }), { durable: true });
      this.parts.set(name, identity);
      return;
    }
    const differs = identityDifferences(recorded, identity);
    if (differs.length) refuseOther(`${this.file} (${name})`, differs.join(", "), this.dir);
  }

  /** Appends an entry with its digest. */
  append(entry: T, opts: { durable?: boolean } = {}): void {
    this.journal.append(sealEntry(entry), opts);
    this.records.push(entry);
  }

  [Symbol.dispose](): void {
    this.journal[Symbol.dispose]();
  }
}

/**
 * The same rule for a track that resumes from its output files instead of a journal (shell bundles): FILE
 * records the identity; a rerun with another is refused; a directory that already holds work but no record
 * (`hasWork`) is "identity unknown" and refused too.
 */
export function claimRunRecord(file: string, identity: RunIdentity, dir: string, hasWork: boolean): void {
  if (!existsSync(file)) {
    if (hasWork) refuseUnknown(dir, `holds earlier work but no run record (${file})`, dir);
    writeFileAtomic(file, `${JSON.stringify(sealEntry({ sekft_run: identity }), null, 2)}\n`);
    return;
  }
  let recorded: unknown;
  try {
    recorded = JSON.parse(readBoundedText(file, READ_LIMITS.manifest, "run record"));
  } catch {
    refuseUnknown(file, "not readable JSON", dir);
  }
  const header = recorded as Partial<HeaderLine>;
  if (!header?.sekft_run || !sealHolds(header)) refuseUnknown(file, "no valid run identity (edited?)", dir);
  const differs = identityDifferences(header.sekft_run, identity);
  if (differs.length) refuseOther(dir, differs.join(", "), dir);
}

/** `--force`: removes a track's directory (its outputs, journal and run record) so the run starts over. */
export function startOver(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** How a shard enters an identity: `I/N`, or `none` for an unsharded run. */
export function shardLabel(shard: { index: number; total: number } | undefined): string {
  return shard && shard.total > 1 ? `${shard.index}/${shard.total}` : "none";
}
