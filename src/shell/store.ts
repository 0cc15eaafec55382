import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, Journal } from "../dataset/jsonl.ts";
import { InputError } from "../errors.ts";
import { containsSecret, redactSecret } from "../llm/redact.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";
import { type PartialSet, writeManifest } from "../dataset/manifest.ts";
import { claimRunRecord, RUN_RECORD, type RunIdentity } from "../dataset/run-journal.ts";
import type { SandboxImage } from "../sandbox/image.ts";
import type { Shard } from "../track-types.ts";
import { BUILTIN_VERSION, BUNDLE_SCHEMA_VERSION, BundleSchema, bundleId, type Bundle, type Cell } from "./bundle.ts";

/** What decides the bundles a shell directory holds: a rerun with anything else is another run. */
export function shellIdentity(run: { config_digest: string; seed: number; shard: string; author: string }): RunIdentity {
  return { track: "shell", generator: `${BUNDLE_SCHEMA_VERSION} ${BUILTIN_VERSION}`, ...run };
}

/** One rejected attempt, as written to rejects.jsonl. */
export interface RejectRecord {
  cell: Cell;
  author: string;
  stage: "author" | "validate" | "gate";
  reason: string;
  id?: string;
}

/** OUT/shell: one JSON file per bundle (via .partial + rename) and an append-only rejects.jsonl. */
export class BundleStore implements Disposable {
  readonly dir: string;
  private readonly rejects: Journal<RejectRecord>;
  readonly root: string;
  /**
   * `secret`: the model API key, redacted from every reject written and refused inside any bundle. `identity`:
   * the run's; a directory holding another run's bundles (or earlier ones of unknown origin) is refused.
   */
  constructor(
    out: string,
    identity: RunIdentity,
    private readonly secret: string | null = null,
  ) {
    this.root = join(out, "shell");
    this.dir = join(this.root, "bundles");
    const rejects = join(this.root, "rejects.jsonl");
    const hasWork = (existsSync(this.dir) && readdirSync(this.dir).some((f) => f.endsWith(".json"))) || (existsSync(rejects) && statSync(rejects).size > 0);
    mkdirSync(this.root, { recursive: true });
    claimRunRecord(join(this.root, RUN_RECORD), identity, this.root, hasWork);
    mkdirSync(this.dir, { recursive: true });
    // Until the run ends, the directory must not look finished.
    rmSync(join(this.root, "manifest.json"), { force: true });
    this.rejects = new Journal<RejectRecord>(rejects);
  }
  /** Whether bundle `id` was admitted before: `edited` when its file no longer matches its id (gate it again). */
  admitted(id: string): "yes" | "no" | "edited" {
    const file = join(this.dir, `${id}.json`);
    if (!existsSync(file)) return "no";
    let read: ReturnType<typeof parseBundle>;
    try {
      read = parseBundle(readBundleJson(file));
    } catch {
      return "edited";
    }
    if (!read.ok) return "edited";
    const { schema: _s, id: claimed, cell, author: _a, image: _i, gate: _g, ...scenario } = read.bundle;
    return claimed === id && bundleId(cell, scenario) === id ? "yes" : "edited";
  }
  write(bundle: Bundle): void {
    writeFileAtomic(join(this.dir, `${bundle.id}.json`), `${JSON.stringify(bundle, null, 2)}\n`);
  }
  reject(record: RejectRecord): void {
    this.rejects.append({ ...record, reason: redactSecret(record.reason, this.secret) });
  }
  /** True when the scenario's content holds the API key (or a long piece of it): such a bundle is never admitted. */
  holdsSecret(scenario: unknown): boolean {
    return containsSecret(JSON.stringify(scenario), this.secret);
  }
  /** Writes OUT/shell/manifest.json over every bundle file and the rejects, last. */
  writeManifest(run: {
    config: unknown;
    seed: number;
    requested: number;
    shard: Shard;
    counts: Record<string, number>;
    image: SandboxImage;
    /** Set when the run stopped early. */
    partial?: PartialSet;
  }): void {
    const bundles = readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => `bundles/${f}`);
    writeManifest(this.root, {
      track: "shell",
      generator: `${BUNDLE_SCHEMA_VERSION} ${BUILTIN_VERSION}`,
      config: run.config,
      seed: run.seed,
      requested: run.requested,
      shard: run.shard,
      counts: run.counts,
      // The tag, not the id: each machine builds its own image, and the shards of one run must agree here.
      tools: { sandbox_image: run.image.tag },
      files: [...bundles, "rejects.jsonl"],
      partial: run.partial,
    });
  }
  [Symbol.dispose](): void {
    this.rejects[Symbol.dispose]();
  }
}

/** A file name that may hold a bundle (the manifest and the run record do not). */
export function isBundleName(f: string): boolean {
  return f.endsWith(".json") && f !== "manifest.json" && f !== RUN_RECORD;
}

/** Finds the bundle files under DIR, DIR/bundles or DIR/shell/bundles. */
export function bundleFiles(dir: string): string[] {
  const candidates = [join(dir, "shell", "bundles"), join(dir, "bundles"), dir];
  const found = candidates.find((d) => existsSync(d) && readdirSync(d).some((f) => isBundleName(f)));
  if (!found) throw new InputError(`${dir}: no bundle files (*.json) found`, "Pass the --out directory of `sekft gen --track shell`, or its shell/bundles.");
  return readdirSync(found)
    .filter((f) => isBundleName(f))
    .sort()
    .map((f) => join(found, f));
}

/** Reads one bundle file's JSON; an unreadable, oversize or non-JSON file is an InputError naming it. */
export function readBundleJson(file: string, maxBytes: number = READ_LIMITS.bundle): unknown {
  const text = readBoundedText(file, maxBytes, "bundle");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not readable JSON (${(error as Error).message})`);
  }
}

/** Validates parsed JSON as a bundle, or says why it is not one. */
export function parseBundle(raw: unknown): { ok: true; bundle: Bundle } | { ok: false; reason: string } {
  const parsed = BundleSchema.safeParse(raw);
  if (parsed.success) return { ok: true, bundle: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `not a bundle: ${issue.path.join(".") || "(top)"}: ${issue.message}` };
}

/** Reads and validates one bundle file; an unreadable, oversize or invalid file is an InputError naming it. */
export function readBundle(file: string, maxBytes: number = READ_LIMITS.bundle): Bundle {
  const parsed = parseBundle(readBundleJson(file, maxBytes));
  if (!parsed.ok) throw new InputError(`${file}: ${parsed.reason}`);
  return parsed.bundle;
}
