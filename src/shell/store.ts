import { mkdirSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, Journal } from "../dataset/jsonl.ts";
import { InputError } from "../errors.ts";
import { BundleSchema, type Bundle, type Cell } from "./bundle.ts";

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
  constructor(out: string) {
    this.dir = join(out, "shell", "bundles");
    mkdirSync(this.dir, { recursive: true });
    this.rejects = new Journal<RejectRecord>(join(out, "shell", "rejects.jsonl"));
  }
  has(id: string): boolean {
    return existsSync(join(this.dir, `${id}.json`));
  }
  write(bundle: Bundle): void {
    writeFileAtomic(join(this.dir, `${bundle.id}.json`), `${JSON.stringify(bundle, null, 2)}\n`);
  }
  reject(record: RejectRecord): void {
    this.rejects.append(record);
  }
  [Symbol.dispose](): void {
    this.rejects[Symbol.dispose]();
  }
}

/** Finds the bundle files under DIR, DIR/bundles or DIR/shell/bundles. */
export function bundleFiles(dir: string): string[] {
  const candidates = [join(dir, "shell", "bundles"), join(dir, "bundles"), dir];
  const found = candidates.find((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith(".json")));
  if (!found) throw new InputError(`${dir}: no bundle files (*.json) found`, "Pass the --out directory of `sekft gen --track shell`, or its shell/bundles.");
  return readdirSync(found)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(found, f));
}

/** Reads and validates one bundle file; an unreadable or invalid file is an InputError naming it. */
export function readBundle(file: string): Bundle {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new InputError(`${file}: not readable JSON (${(error as Error).message})`);
  }
  const parsed = BundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${file}: not a bundle: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}
