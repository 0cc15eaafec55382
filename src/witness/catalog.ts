import { rmSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DependencyError } from "../errors.ts";
import { describeFailure, runProcess } from "../proc/run.ts";
import { makeOwnedTempDir } from "../proc/temp.ts";

/** What the pinned witness binary says about its attestors: names, type URIs, run types. */
export interface Catalog {
  witness: string;
  version: string;
  types: Record<string, { type: string; runType: string; alwaysRun: boolean }>;
  /** Policy type URIs learned from a real run, for attestors whose type depends on content (sbom). */
  sbomTypes: { spdx: string; cyclonedx: string };
}

/** Parses `witness attestors list` (a box-drawn table) into name → type URI. */
export function parseAttestorList(text: string): Catalog["types"] {
  const types: Catalog["types"] = {};
  for (const line of text.split("\n")) {
    const cells = line
      .split("│")
      .map((c) => c.trim())
      .filter(Boolean);
    if (cells.length !== 3 || !cells[1]!.includes("://")) continue;
    const alwaysRun = cells[0]!.includes("(always run)");
    const name = cells[0]!.replace(/\(.*$/, "").trim();
    types[name] = { type: cells[1]!, runType: cells[2]!, alwaysRun };
  }
  return types;
}

/** Asks witness itself for its attestors, and learns the SBOM collection types from one real offline run. */
export async function loadCatalog(witness: string, env: Record<string, string>, signal?: AbortSignal): Promise<Catalog> {
  const ver = await runProcess([witness, "version"], { env, timeoutMs: 30_000, signal });
  if (ver.exitCode !== 0) throw new DependencyError(`witness does not run: ${describeFailure(ver)}`);
  const list = await runProcess([witness, "attestors", "list"], { env, timeoutMs: 30_000, signal });
  if (list.exitCode !== 0) throw new DependencyError(`witness attestors list failed: ${describeFailure(list)}`);
  const types = parseAttestorList(list.stdout);
  if (!types.material || !types.product || !types["command-run"]) {
    throw new DependencyError(`could not read the attestor table of ${witness}`, "Is it witness v0.11.0?");
  }
  const always = alwaysRunTypes(types);
  const [spdx, cyclonedx] = await Promise.all([learnSbomType(witness, env, "spdx", always, signal), learnSbomType(witness, env, "cyclonedx", always, signal)]);
  const sbomTypes = { spdx, cyclonedx };
  return { witness, version: ver.stdout.trim().replace(/^witness\s+/, ""), types, sbomTypes };
}

const SAMPLE_SBOM = {
  spdx: '{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "probe", "documentNamespace": "https://example.com/probe", "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: sekft"]}}\n',
  cyclonedx: '{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "metadata": {"component": {"type": "application", "name": "probe"}}}\n',
};

/** The collection type witness writes for an SBOM product; policies must require exactly that. */
function alwaysRunTypes(types: Catalog["types"]): Set<string> {
  return new Set(
    Object.values(types)
      .filter((t) => t.alwaysRun)
      .map((t) => t.type),
  );
}

async function learnSbomType(
  witness: string,
  env: Record<string, string>,
  kind: "spdx" | "cyclonedx",
  exclude: Set<string>,
  signal?: AbortSignal,
): Promise<string> {
  const dir = makeOwnedTempDir("sekft-sbom-probe");
  try {
    mkdirSync(join(dir, "ws"));
    writeFileSync(join(dir, "sbom.json"), SAMPLE_SBOM[kind]);
    const keygen = await runProcess(["openssl", "genpkey", "-algorithm", "ed25519", "-out", join(dir, "k.pem")], { env, timeoutMs: 30_000, signal });
    if (keygen.exitCode !== 0) throw new DependencyError(`openssl failed: ${describeFailure(keygen)}`);
    const out = join(dir, "att.json");
    const run = await runProcess([witness, "run", "-s", "probe", "-k", join(dir, "k.pem"), "-o", out, "-a", "sbom", "--", "cp", "../sbom.json", "sbom.json"], {
      env,
      cwd: join(dir, "ws"),
      timeoutMs: 60_000,
      signal,
    });
    if (run.exitCode !== 0) throw new DependencyError(`witness run with an SBOM failed: ${describeFailure(run)}`);
    const envelope = JSON.parse(readFileSync(out, "utf8")) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as {
      predicate: { attestations: { type: string }[] };
    };
    const found = statement.predicate.attestations.map((a) => a.type).find((t) => !exclude.has(t));
    if (!found) throw new DependencyError(`witness wrote no SBOM attestation for a ${kind} product`);
    return found;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
