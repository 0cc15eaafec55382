import { defineCommand } from "citty";
import { configArgs, createContext } from "../_context.ts";

const signArgs = {
  ...configArgs,
  file: { type: "positional", required: true, description: "The trace to sign (its bytes, verbatim)" },
  key: { type: "string", required: true, description: "Private key PEM: Ed25519, ECDSA or RSA" },
  out: { type: "string", description: "Write the envelope here (atomically) instead of stdout" },
  "payload-type": { type: "string", description: "DSSE payloadType (default: [trace] payload_type); another type skips `trace check`" },
} as const;

export const sign = defineCommand({
  meta: { name: "sign", description: "Sign a trace into a DSSE envelope, key ID as witness computes it" },
  args: signArgs,
  async run({ args: a }) {
    const ctx = await createContext(a);
    const { signFile } = await import("../../trace/sign.ts");
    const payloadType = (a["payload-type"] as string | undefined) ?? ctx.config.trace.payload_type;
    const isTrace = payloadType === ctx.config.trace.payload_type;
    const out = a.out as string | undefined;
    const { envelope, keyid } = signFile({
      file: a.file as string,
      keyFile: a.key as string,
      payloadType,
      out,
      privacyKeys: isTrace ? ctx.config.trace.privacy_keys : undefined,
    });
    if (!out) process.stdout.write(envelope);
    ctx.log.success(`signed ${a.file as string} (${payloadType}) with key ID ${keyid}${out ? ` → ${out}` : ""}`);
  },
});

const verifyArgs = {
  ...configArgs,
  envelope: { type: "positional", required: true, description: "A DSSE envelope (from `trace sign` or `witness sign`)" },
  key: { type: "string", required: true, description: "Public key PEM (a private key's public half also works)" },
  "payload-type": { type: "string", description: "Expected payloadType (default: [trace] payload_type)" },
  json: { type: "boolean", description: "A JSON record on stdout" },
} as const;

export const verifySignature = defineCommand({
  meta: { name: "verify-signature", description: "Verify a DSSE envelope; exit 1 for a tampered payload, a wrong key or a wrong payload type" },
  args: verifyArgs,
  async run({ args: a }) {
    const ctx = await createContext(a);
    const { verifyFile } = await import("../../trace/sign.ts");
    const result = verifyFile(a.envelope as string, a.key as string, (a["payload-type"] as string | undefined) ?? ctx.config.trace.payload_type);
    if (a.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    ctx.log.success(`${result.envelope}: valid signature by key ID ${result.keyid} over ${result.payload_bytes} bytes of ${result.payloadType}`);
  },
});
