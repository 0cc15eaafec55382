// needs: witness
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLAIMS, claim, type ClaimId } from "../../src/witness/claims.ts";
import { testWith, witnessBin } from "../helpers/deps.ts";

const WITNESS = witnessBin();
const dir = mkdtempSync(join(tmpdir(), "sekft-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[], cwd = dir): { code: number; out: string } {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}
const witness = (...args: string[]): { code: number; out: string } => run([WITNESS!, ...args]);
const sh = (script: string): string => {
  const r = run(["sh", "-ec", script]);
  if (r.code !== 0) throw new Error(`${script}\n${r.out}`);
  return r.out.trim();
};
const b64 = (text: string): string => Buffer.from(text).toString("base64");

const TYPES = ["material", "command-run", "product"].map((t) => `https://witness.dev/attestations/${t}/v0.1`);
const REGO_OK = 'package ok\nimport rego.v1\n\ndeny contains msg if {\n\tinput.cmd == ["never"]\n\tmsg := "never"\n}\n';

/** A policy for one `build` step: each part overridable, so one fault at a time can be put in. */
function policy(o: { expires?: string; keyid?: string; entryKeyid?: string; functionary?: string; key?: string; rego?: string; types?: string[] }): string {
  const keyid = o.keyid ?? keyId;
  const attestations = (o.types ?? TYPES).map((type, i) =>
    i === 0 && o.rego !== undefined ? { type, regopolicies: [{ name: "r", module: b64(o.rego) }] } : { type },
  );
  return JSON.stringify({
    expires: o.expires ?? "2035-01-01T00:00:00Z",
    publickeys: { [keyid]: { keyid: o.entryKeyid ?? keyid, key: o.key ?? b64(readFileSync(join(dir, "keys/build.pub"), "utf8")) } },
    steps: { build: { name: "build", functionaries: [{ type: "publickey", publickeyid: o.functionary ?? keyid }], attestations } },
  });
}
function check(name: string, text: string): number {
  writeFileSync(join(dir, name), text);
  return witness("policy", "check", name).code;
}
/** Signs the policy with the policy key and verifies the step's attestation of `ws/out.txt` against it. */
function verify(text: string): { code: number; out: string } {
  writeFileSync(join(dir, "p.json"), text);
  expect(witness("sign", "-k", "keys/policy.key", "-f", "p.json", "-o", "p.signed.json").code).toBe(0);
  return witness("verify", "-p", "p.signed.json", "-k", "keys/policy.pub", "-a", "att.json", "-f", "ws/out.txt");
}

let keyId = "";
const tested = new Set<ClaimId>();
function claimTest(id: ClaimId, fn: () => void): void {
  tested.add(id);
  testWith(Boolean(WITNESS), `${id}: ${claim(id).slice(0, 70)}…`, fn, 60_000);
}

describe("each witness claim the answers make holds for the real binary", () => {
  testWith(Boolean(WITNESS), "set-up: keys, a staged report and one attested step", () => {
    sh(
      "mkdir -p keys ws reports && for n in build policy; do openssl genpkey -algorithm ed25519 -out keys/$n.key && openssl pkey -in keys/$n.key -pubout -out keys/$n.pub; done",
    );
    keyId = sh("openssl dgst -sha256 -r keys/build.pub | cut -d' ' -f1");
    writeFileSync(
      join(dir, "reports/sbom.spdx.json"),
      '{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"demo","documentNamespace":"https://example.com/demo","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: hand"]},"packages":[]}\n',
    );
    const r = run(
      [
        WITNESS!,
        "run",
        "-s",
        "build",
        "-k",
        "../keys/build.key",
        "-o",
        "../att.json",
        "-a",
        "sbom",
        "--",
        "sh",
        "-c",
        "echo built > out.txt && cp ../reports/sbom.spdx.json .",
      ],
      join(dir, "ws"),
    );
    expect(r.code, r.out).toBe(0);
  });

  claimTest("policy-check", () => {
    expect(check("good.json", policy({ rego: REGO_OK }))).toBe(0);
    // What it catches: each fault alone.
    expect(check("trunc.json", policy({}).slice(0, 40))).not.toBe(0);
    expect(check("expired.json", policy({ expires: "2021-01-01T00:00:00Z" }))).not.toBe(0);
    expect(check("nopem.json", policy({ key: b64("not a key") }))).not.toBe(0);
    expect(check("rego.json", policy({ rego: "package broken\ndeny contains msg if {\n" }))).not.toBe(0);
    // What it does not: key IDs that match no key, and an attestation type no attestor has.
    expect(check("functionary.json", policy({ functionary: "0".repeat(64) }))).toBe(0);
    expect(check("entry.json", policy({ entryKeyid: "f".repeat(64) }))).toBe(0);
    expect(check("type.json", policy({ types: ["https://witness.dev/attestations/nonesuch/v9"] }))).toBe(0);
    // …which verify then refuses.
    expect(verify(policy({ functionary: "0".repeat(64) })).code).not.toBe(0);
    // So the sentence must say so, and must not list key IDs among what it catches.
    expect(claim("policy-check")).toContain("A wrong key ID passes it");
    expect(claim("policy-check").split(".")[0]).not.toMatch(/key ID/);
  });

  claimTest("keyid-sha256-pem", () => {
    expect(verify(policy({})).code).toBe(0);
    const der = sh("openssl pkey -pubin -in keys/build.pub -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
    const r = verify(policy({ keyid: der }));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("expected key id");
  });

  claimTest("verify-success", () => {
    const r = verify(policy({}));
    expect(r.code).toBe(0);
    expect(r.out).toContain("Verification succeeded");
    expect(claim("verify-success")).toContain("`Verification succeeded`");
  });

  claimTest("rego-v1", () => {
    const noImport = REGO_OK.replace("import rego.v1\n", "");
    const v0 = 'package old\n\ndeny[msg] {\n\tinput.cmd == ["never"]\n\tmsg := "never"\n}\n';
    // With the import, both accept it (and the rule, which never fires, lets verify pass).
    expect(check("v1.json", policy({ rego: REGO_OK }))).toBe(0);
    expect(verify(policy({ rego: REGO_OK })).code).toBe(0);
    // Without it, each refuses one of the other two forms.
    expect(check("v0.json", policy({ rego: v0 }))).not.toBe(0);
    expect(verify(policy({ rego: noImport })).code).not.toBe(0);
  });

  claimTest("staged-product", () => {
    const envelope = JSON.parse(readFileSync(join(dir, "att.json"), "utf8")) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString()) as { predicate: { attestations: { type: string }[] } };
    expect(statement.predicate.attestations.map((a) => a.type)).toContain("https://spdx.dev/Document");
    expect(verify(policy({ types: [...TYPES, "https://spdx.dev/Document"] })).code).toBe(0);
  });

  test("every claim has its test here", () => {
    expect(CLAIMS.map((c) => c.id).filter((id) => !tested.has(id))).toEqual([]);
  });
});
