import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { InputError } from "../errors.ts";
import { READ_LIMITS, readBoundedText } from "../files.ts";

export type KeyKind = "ed25519" | "ecdsa" | "rsa";

/**
 * The witness key ID: lowercase hex SHA-256 of the public key re-encoded as PKIX DER in a canonical
 * "PUBLIC KEY" PEM (64-column base64, "\n" line ends). Node's SPKI PEM export is byte-identical to Go's
 * pem.EncodeToMemory, so the file's own bytes (CRLF, PKCS#1, extra text) never change the ID.
 */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const pem = pub.export({ type: "spki", format: "pem" }) as string;
  return createHash("sha256").update(pem).digest("hex");
}

/** The signature scheme a key implies, as witness's file signer picks it; other key types are refused. */
export function keyKind(key: KeyObject, source: string): KeyKind {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "ed25519";
    case "ec":
      return "ecdsa";
    case "rsa":
      return "rsa";
    default:
      throw new InputError(`${source}: unsupported key type ${key.asymmetricKeyType ?? "?"}`, "Use an Ed25519, ECDSA (P-256/P-384/P-521) or RSA key.");
  }
}

function readPem(file: string): string {
  if (!existsSync(file)) throw new InputError(`${file}: no such key file`);
  return readBoundedText(file, READ_LIMITS.key, "key file");
}

/** Loads a private key PEM (PKCS#8, PKCS#1 or SEC1), unencrypted. */
export function loadPrivateKey(file: string): KeyObject {
  const pem = readPem(file);
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new InputError(
      `${file}: not an unencrypted private key PEM (${(error as Error).message})`,
      "Pass the private key (for `trace sign` --key, for `gen`/`merge` --sign-key), not the public one.",
    );
  }
}

/** Loads a public key: SPKI or PKCS#1 PEM, a certificate, or a private key whose public half is used. */
export function loadPublicKey(file: string): KeyObject {
  const pem = readPem(file);
  try {
    return createPublicKey(pem);
  } catch (error) {
    throw new InputError(`${file}: not a public key PEM (${(error as Error).message})`);
  }
}
