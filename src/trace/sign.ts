import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { InputError, WorkFailedError } from "../errors.ts";
import { writeFileAtomic } from "../dataset/jsonl.ts";
import { checkTrace } from "./check.ts";
import { parseEnvelope, signEnvelope, verifyEnvelope } from "../dataset/dsse.ts";
import { keyIdOf, loadPrivateKey, loadPublicKey } from "../dataset/keyid.ts";
import { parseJsonExact } from "./parse.ts";
import { READ_LIMITS, readBoundedFile } from "../files.ts";

function readInput(file: string, maxBytes: number, what: string): Buffer {
  if (!existsSync(file)) throw new InputError(`${file}: no such file`);
  return readBoundedFile(file, maxBytes, what);
}

export interface SignOptions {
  file: string;
  keyFile: string;
  payloadType: string;
  /** Set when the payload is a trace: it must pass `trace check` before it is signed. */
  privacyKeys?: readonly string[];
  out?: string;
}

/** Signs a file's bytes verbatim; returns the envelope text (also written to `out` when given). */
export function signFile(opts: SignOptions): { envelope: string; keyid: string } {
  const payload = readInput(opts.file, READ_LIMITS.trace, "file to sign");
  if (opts.privacyKeys) {
    const findings = checkTrace(parseJsonExact(payload.toString("utf8"), opts.file), opts.privacyKeys);
    if (findings.length)
      throw new WorkFailedError(
        `${opts.file}: not signed: it fails ${findings.length} rule(s) of \`trace check\``,
        `Run \`sekft trace check ${opts.file}\` to see them.`,
      );
  }
  const key = loadPrivateKey(opts.keyFile);
  const envelope = signEnvelope(payload, opts.payloadType, key);
  if (opts.out) writeFileAtomic(opts.out, envelope);
  return { envelope, keyid: keyIdOf(key) };
}

export interface VerifyResult {
  envelope: string;
  keyid: string;
  payloadType: string;
  payload_sha256: string;
  payload_bytes: number;
}

/** Verifies an envelope file with a public key; refusals are WorkFailedErrors (exit 1) naming the cause. */
export function verifyFile(envelopeFile: string, keyFile: string, payloadType: string): VerifyResult {
  const env = parseEnvelope(readInput(envelopeFile, READ_LIMITS.envelope, "signed envelope").toString("utf8"), envelopeFile);
  const key = loadPublicKey(keyFile);
  const v = verifyEnvelope(env, key, payloadType, envelopeFile);
  return {
    envelope: envelopeFile,
    keyid: v.keyid,
    payloadType: v.payloadType,
    payload_sha256: createHash("sha256").update(v.payload).digest("hex"),
    payload_bytes: v.payload.length,
  };
}
