// needs: witness
import { describe, expect, test } from "bun:test";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const WITNESS = witnessBin();
const TYPE = "application/vnd.sekft.veritrain-trace+json";
const POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1";
const TRACE = join(ROOT, "fixtures/trace/check/spec-minimal.json");
type Env = { payload: string; payloadType: string; signatures: { keyid: string; sig: string }[] };

const dir = mkdtempSync(join(tmpdir(), "sekft-trace-sign-"));
const KINDS = ["ed25519", "ecdsa-p256", "rsa-2048"] as const;

/** PKCS#8 private + SPKI public PEM files for one key kind. */
function keyPair(kind: (typeof KINDS)[number]): { priv: string; pub: string } {
  const pair =
    kind === "ed25519"
      ? generateKeyPairSync("ed25519")
      : kind === "ecdsa-p256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const priv = join(dir, `${kind}.pem`);
  const pub = join(dir, `${kind}.pub.pem`);
  writeFileSync(priv, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(pub, pair.publicKey.export({ type: "spki", format: "pem" }));
  return { priv, pub };
}
const KEYS = Object.fromEntries(KINDS.map((k) => [k, keyPair(k)])) as Record<(typeof KINDS)[number], { priv: string; pub: string }>;

async function witness(args: string[], cwd = dir): Promise<{ code: number; stderr: string }> {
  if (!WITNESS) throw new Error("witness v0.11.0 is missing: run scripts/setup.sh or set SEKFT_WITNESS");
  const p = Bun.spawn([WITNESS, ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }, stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  return { code, stderr };
}

const readEnv = (f: string): Env => JSON.parse(readFileSync(f, "utf8")) as Env;
const sekft = (args: string[]) => runCli(["trace", ...args], { env: cleanEnv() });

describe("trace sign / verify-signature against the real witness", () => {
  for (const kind of KINDS) {
    testWith(
      Boolean(WITNESS),
      `${kind}: witness's envelope verifies with sekft; sekft's has the same shape and key ID`,
      async () => {
        const { priv, pub } = KEYS[kind];
        const wEnv = join(dir, `w-${kind}.json`);
        const sEnv = join(dir, `s-${kind}.json`);
        const w = await witness(["sign", "--datatype", TYPE, "--infile", TRACE, "--signer-file-key-path", priv, "--outfile", wEnv]);
        expect(w.code, w.stderr).toBe(0);
        const v = await sekft(["verify-signature", wEnv, "--key", pub]);
        expect(v.code, v.stderr).toBe(0);
        const s = await sekft(["sign", TRACE, "--key", priv, "--out", sEnv]);
        expect(s.code, s.stderr).toBe(0);
        const [we, se] = [readEnv(wEnv), readEnv(sEnv)];
        expect(Object.keys(se)).toEqual(Object.keys(we));
        expect(se.signatures.map((x) => Object.keys(x))).toEqual(we.signatures.map((x) => Object.keys(x)));
        expect(se.payload).toBe(we.payload);
        expect(se.payloadType).toBe(TYPE);
        expect(se.signatures[0]!.keyid).toBe(we.signatures[0]!.keyid);
        // and the key ID is the witness recipe: sha256 of the canonical SPKI PEM
        const pem = createPublicKey(readFileSync(pub, "utf8")).export({ type: "spki", format: "pem" }) as string;
        expect(se.signatures[0]!.keyid).toBe(createHash("sha256").update(pem).digest("hex"));
        expect(readFileSync(sEnv, "utf8").endsWith("}\n")).toBe(true);
        if (kind === "ed25519") expect(readFileSync(sEnv, "utf8")).toBe(readFileSync(wEnv, "utf8")); // deterministic: byte-identical
        expect((await sekft(["verify-signature", sEnv, "--key", pub])).code).toBe(0);
      },
      60_000,
    );

    testWith(
      Boolean(WITNESS),
      `${kind}: witness verify accepts a policy envelope signed by sekft, and refuses it tampered`,
      async () => {
        const step = KEYS.ed25519;
        const policyKey = KEYS[kind];
        const ws = join(dir, `ws-${kind}`);
        mkdirSync(ws);
        const att = join(dir, `att-${kind}.json`);
        const run = await witness(["run", "-s", "build", "-k", step.priv, "-o", att, "-a", "environment", "--", "sh", "-c", "echo trained > out.txt"], ws);
        expect(run.code, run.stderr).toBe(0);
        const stepPem = readFileSync(step.pub, "utf8");
        const kid = createHash("sha256")
          .update(createPublicKey(stepPem).export({ type: "spki", format: "pem" }) as string)
          .digest("hex");
        const types = ["material", "command-run", "product"].map((t) => ({ type: `https://witness.dev/attestations/${t}/v0.1` }));
        const policy = {
          expires: "2099-12-31T23:59:59Z",
          steps: { build: { name: "build", functionaries: [{ type: "publickey", publickeyid: kid }], attestations: types } },
          publickeys: { [kid]: { keyid: kid, key: Buffer.from(stepPem).toString("base64") } },
        };
        const policyFile = join(dir, `policy-${kind}.json`);
        const signed = join(dir, `policy-${kind}.signed.json`);
        writeFileSync(policyFile, JSON.stringify(policy));
        const s = await sekft(["sign", policyFile, "--key", policyKey.priv, "--payload-type", POLICY_TYPE, "--out", signed]);
        expect(s.code, s.stderr).toBe(0);
        const ok = await witness(["verify", "-p", signed, "-k", policyKey.pub, "-a", att, "-f", join(ws, "out.txt")]);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stderr).toContain("Verification succeeded");
        const env = readEnv(signed);
        const tampered = join(dir, `policy-${kind}.tampered.json`);
        const payload = Buffer.from(env.payload, "base64").toString().replace("2099-12-31", "2098-12-31");
        writeFileSync(tampered, JSON.stringify({ ...env, payload: Buffer.from(payload).toString("base64") }));
        const bad = await witness(["verify", "-p", tampered, "-k", policyKey.pub, "-a", att, "-f", join(ws, "out.txt")]);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/signature/);
      },
      60_000,
    );
  }

  testWith(
    Boolean(WITNESS),
    "refusals: tampered payload, wrong key, wrong payload type each have their own message (exit 1)",
    async () => {
      const { priv, pub } = KEYS["ecdsa-p256"];
      const good = join(dir, "refusal-good.json");
      const g = await witness(["sign", "--datatype", TYPE, "--infile", TRACE, "--signer-file-key-path", priv, "--outfile", good]);
      expect(g.code, g.stderr).toBe(0);
      expect((await sekft(["verify-signature", good, "--key", pub])).code).toBe(0);
      const env = readEnv(good);
      const tampered = join(dir, "tampered.json");
      const body = Buffer.from(env.payload, "base64").toString().replace('"flops": 1e17', '"flops": 1e16');
      writeFileSync(tampered, JSON.stringify({ ...env, payload: Buffer.from(body).toString("base64") }));
      const t = await sekft(["verify-signature", tampered, "--key", pub]);
      expect([t.code, t.stderr]).toEqual([1, expect.stringContaining("tampered: the signature by key ID")]);

      const w = await sekft(["verify-signature", good, "--key", KEYS.ed25519.pub]);
      expect([w.code, w.stderr]).toEqual([1, expect.stringContaining("wrong key: the envelope is signed by key ID")]);

      const other = join(dir, "other-type.json");
      const o = await witness(["sign", "--datatype", "application/vnd.in-toto+json", "--infile", TRACE, "--signer-file-key-path", priv, "--outfile", other]);
      expect(o.code, o.stderr).toBe(0);
      const p = await sekft(["verify-signature", other, "--key", pub]);
      expect([p.code, p.stderr]).toEqual([1, expect.stringContaining('wrong payload type: "application/vnd.in-toto+json"')]);
      expect((await sekft(["verify-signature", other, "--key", pub, "--payload-type", "application/vnd.in-toto+json"])).code).toBe(0);
    },
    60_000,
  );
});

test("sign refuses a trace that fails `trace check`, and an unreadable envelope is exit 2", async () => {
  const key = KEYS.ed25519;
  const bad = await sekft(["sign", join(ROOT, "fixtures/trace/check/spec-eu-ai-act.json"), "--key", key.priv]);
  expect([bad.code, bad.stdout]).toEqual([1, ""]);
  expect(bad.stderr).toContain("not signed");
  const junk = join(dir, "junk.json");
  copyFileSync(TRACE, junk);
  const j = await sekft(["verify-signature", junk, "--key", key.pub]);
  expect([j.code, j.stderr]).toEqual([2, expect.stringContaining("not a DSSE envelope")]);
});
