import { constants, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";
import { InputError, WorkFailedError } from "../errors.ts";
import { keyIdOf, keyKind } from "./keyid.ts";

/** DSSE v1 pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body (byte lengths). */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const Base64 = z.string().regex(STD_BASE64, "not standard base64");

export const EnvelopeSchema = z.object({
  payload: Base64,
  payloadType: z.string(),
  signatures: z.array(z.object({ keyid: z.string().default(""), sig: Base64 })).min(1),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

function signBytes(data: Buffer, key: KeyObject): Buffer {
  switch (keyKind(key, "key")) {
    case "ed25519":
      return sign(null, data, key);
    case "ecdsa":
      return sign("sha256", data, key); // ASN.1 DER, SHA-256 whatever the curve, as witness does
    case "rsa":
      return sign("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN });
  }
}

function verifyBytes(data: Buffer, sig: Buffer, key: KeyObject): boolean {
  switch (keyKind(key, "key")) {
    case "ed25519":
      return verify(null, data, key, sig);
    case "ecdsa":
      return verify("sha256", data, key, sig);
    case "rsa":
      // witness signs RSA-PSS and its verifier falls back to PKCS#1 v1.5.
      return (
        verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig) ||
        verify("sha256", data, { key, padding: constants.RSA_PKCS1_PADDING }, sig)
      );
  }
}

/**
 * Signs `payload` (its bytes verbatim) into a DSSE envelope shaped as `witness sign` writes it: keys in the
 * order payload, payloadType, signatures; signatures [{keyid, sig}]; compact JSON and a final newline.
 */
export function signEnvelope(payload: Uint8Array, payloadType: string, key: KeyObject): string {
  const sig = signBytes(pae(payloadType, payload), key);
  const envelope = { payload: Buffer.from(payload).toString("base64"), payloadType, signatures: [{ keyid: keyIdOf(key), sig: sig.toString("base64") }] };
  return `${JSON.stringify(envelope)}\n`;
}

export function parseEnvelope(text: string, source: string): Envelope {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const result = EnvelopeSchema.safeParse(raw);
  if (!result.success)
    throw new InputError(`${source}: not a DSSE envelope (${result.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")})`);
  return result.data;
}

export interface VerifiedEnvelope {
  payload: Buffer;
  payloadType: string;
  keyid: string;
}

/**
 * Verifies an envelope against one public key. Refusals say which of three things is wrong: the payload
 * type, the key (no signature carries its key ID), or the signed bytes (a signature for this key that no
 * longer matches: the payload or its type was changed after signing).
 */
export function verifyEnvelope(env: Envelope, key: KeyObject, expectedType: string, source: string): VerifiedEnvelope {
  if (env.payloadType !== expectedType) {
    throw new WorkFailedError(
      `${source}: wrong payload type: ${JSON.stringify(env.payloadType)}, expected ${JSON.stringify(expectedType)}`,
      "Pass --payload-type if the envelope is meant to carry another type.",
    );
  }
  const keyid = keyIdOf(key);
  const payload = Buffer.from(env.payload, "base64");
  const data = pae(env.payloadType, payload);
  const valid = env.signatures.find((s) => verifyBytes(data, Buffer.from(s.sig, "base64"), key));
  if (valid) return { payload, payloadType: env.payloadType, keyid };
  const mine = env.signatures.filter((s) => s.keyid === keyid);
  if (mine.length === 0) {
    const ids = env.signatures.map((s) => s.keyid || "(none)").join(", ");
    throw new WorkFailedError(`${source}: wrong key: the envelope is signed by key ID ${ids}, the key given has key ID ${keyid}`);
  }
  throw new WorkFailedError(`${source}: tampered: the signature by key ID ${keyid} does not match the payload (changed after signing)`);
}
