import { createHash, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { SekftError, WorkFailedError } from "../errors.ts";
import { READ_LIMITS, readBoundedText, resolveInside } from "../files.ts";
import { parseEnvelope, signEnvelope, verifyEnvelope } from "./dsse.ts";
import { writeFileAtomic } from "./jsonl.ts";
import { readManifest } from "./manifest.ts";
import { sha256File } from "./stream.ts";

/** The envelope beside manifest.json. */
export const SIGNATURE_FILE = "manifest.dsse.json";
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
const PREDICATE_TYPE = "https://model_signing/signature/v1.0";

const StatementSchema = z.looseObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.looseObject({ name: z.string(), digest: z.looseObject({ sha256: z.string() }) })).length(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.looseObject({
    resources: z.array(z.strictObject({ name: z.string(), algorithm: z.literal("sha256"), digest: z.string().regex(/^[0-9a-f]{64}$/) })),
  }),
});

export interface Resource {
  name: string;
  algorithm: "sha256";
  digest: string;
}

/**
 * The dataset's root digest as OpenSSF model-signing v1.0 computes a model's: sha256 over the concatenated raw
 * per-file digests, files ordered by name — one value that changes when any file changes, is added or is dropped.
 */
export function rootDigest(resources: readonly Resource[]): string {
  const hash = createHash("sha256");
  for (const r of [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) hash.update(Buffer.from(r.digest, "hex"));
  return hash.digest("hex");
}

/** The files a signature covers: manifest.json and every file it lists, each hashed as it is on disk now. */
function resourcesOf(dir: string): Resource[] {
  const manifest = readManifest(dir);
  if (!manifest) throw new WorkFailedError(`${dir}: no manifest.json to sign`);
  return ["manifest.json", ...Object.keys(manifest.files)].sort().map((name) => ({ name, algorithm: "sha256" as const, digest: sha256File(join(dir, name)) }));
}

/**
 * Signs a finished dataset directory: a DSSE envelope (written to manifest.dsse.json) over an in-toto
 * Statement v1 whose single subject is the root digest and whose predicate lists every file and digest.
 */
export function signDataset(dir: string, key: KeyObject): { keyid: string; root: string } {
  const resources = resourcesOf(dir);
  const root = rootDigest(resources);
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: basename(dir), digest: { sha256: root } }],
    predicateType: PREDICATE_TYPE,
    predicate: { serialization: { method: "files", hash_type: "sha256", allow_symlinks: false, ignore_paths: [SIGNATURE_FILE] }, resources },
  };
  const envelope = signEnvelope(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, key);
  writeFileAtomic(join(dir, SIGNATURE_FILE), envelope);
  return { keyid: JSON.parse(envelope).signatures[0].keyid, root };
}

/**
 * Checks a signed dataset directory against a trusted public key: the signature, the root digest against the
 * statement's files, the file set against the manifest's, and every file's bytes. Refusals are
 * WorkFailedErrors naming the directory and what differs.
 */
export function verifyDataset(dir: string, key: KeyObject): { keyid: string; root: string; files: number } {
  const file = join(dir, SIGNATURE_FILE);
  if (!existsSync(file)) throw new WorkFailedError(`${dir}: not signed (no ${SIGNATURE_FILE})`, "Sign it with --sign-key when it is made.");
  const verified = verifyEnvelope(parseEnvelope(readBoundedText(file, READ_LIMITS.envelope, "signature"), file), key, IN_TOTO_PAYLOAD_TYPE, file);
  let statement: z.infer<typeof StatementSchema>;
  try {
    statement = StatementSchema.parse(JSON.parse(verified.payload.toString("utf8")));
  } catch (error) {
    throw new WorkFailedError(`${file}: the signed payload is not a dataset statement (${(error as Error).message.slice(0, 200)})`);
  }
  const signed = statement.predicate.resources;
  const root = rootDigest(signed);
  if (statement.subject[0]!.digest.sha256 !== root) throw new WorkFailedError(`${file}: the root digest does not match the signed file list`);
  const manifest = readManifest(dir);
  if (!manifest) throw new WorkFailedError(`${dir}: manifest.json: signed but missing`);
  const listed = new Set(["manifest.json", ...Object.keys(manifest.files)]);
  const names = new Set(signed.map((r) => r.name));
  for (const name of names) if (!listed.has(name)) throw new WorkFailedError(`${dir}: ${name}: signed but no longer in the manifest`);
  for (const name of listed) if (!names.has(name)) throw new WorkFailedError(`${dir}: ${name}: in the manifest but not signed`);
  // Every name is placed inside DIR before any file is hashed.
  const paths = signed.map((r) => {
    const found = resolveInside(dir, r.name);
    if (!found.ok) throw new WorkFailedError(`${dir}: ${JSON.stringify(r.name)} ${found.why}: refused`);
    return found.path;
  });
  for (const [i, r] of signed.entries()) {
    const path = paths[i]!;
    if (!existsSync(path)) throw new WorkFailedError(`${dir}: ${r.name}: signed but missing (dropped after signing)`);
    const actual = sha256File(path);
    if (actual !== r.digest) throw new WorkFailedError(`${dir}: ${r.name}: sha256 ${actual} differs from the signed ${r.digest} (changed after signing)`);
  }
  return { keyid: verified.keyid, root, files: signed.length };
}

/** The same check, as merge needs it: any refusal becomes a request error (exit 2) naming the shard. */
export function trustGuard(key: KeyObject): (dir: string, name: string) => void {
  return (dir, name) => {
    try {
      verifyDataset(dir, key);
    } catch (error) {
      if (!(error instanceof SekftError)) throw error;
      const message = error.message.startsWith(dir) ? error.message.slice(dir.length).replace(/^[/:]\s*/, "") : error.message;
      throw new SekftError(`${name}: refused by --trust: ${message}`, { exitCode: 2, hint: error.hint });
    }
  };
}
