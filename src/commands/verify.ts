import { defineCommand } from "citty";
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { InputError, UsageError, WorkFailedError } from "../errors.ts";
import { detectTracks, loadTrack, reportManifestDrift } from "../tracks.ts";
import { configArgs, createContext } from "./_context.ts";
import { intFlag } from "./_flags.ts";

const args = {
  target: { type: "positional", required: true, description: "A chat JSONL dataset, or an output directory of `sekft gen`" },
  ...configArgs,
  workers: { type: "string", description: "Concurrent checks (default: CPU count)" },
  trust: { type: "string", description: "Public key (PEM): first check the manifest's signature, root digest and every file" },
  sample: { type: "string", description: "Check only N items, chosen at random while reading" },
  seed: { type: "string", description: "Seed of --sample (default: run.seed)" },
  json: { type: "boolean", description: "Print one JSON record per checked line, then a summary record, on stdout" },
  "fail-fast": { type: "boolean", description: "Stop at the first failure" },
  sandbox: { type: "boolean", description: "Run each script in a locked-down container (the default unless --trust verified the dataset's signature)" },
  host: { type: "boolean", description: "Run scripts on this machine (isolated: scrubbed env, own session, namespaces when allowed)" },
  expect: {
    type: "string",
    description: "Chat JSONL: what passes — witness-verify (default: a final witness verify the real witness accepts) or any (the script exits 0)",
  },
  "stated-path": {
    type: "boolean",
    description: "Witness answers: PATH holds only the programs the answer's first sentence names, plus POSIX utilities (sandbox only)",
  },
} as const;

export default defineCommand({
  meta: { name: "verify", description: "Re-check a dataset by the track its manifest names (any chat JSONL: re-run its answers); exit 1 if any fails" },
  args,
  async run({ args: a }) {
    const target = a.target as string;
    const parts = detectTracks(target);
    const ctx = await createContext(a);
    const workers = intFlag("workers", a.workers, 1) ?? (ctx.config.run.workers || availableParallelism());
    const sample = intFlag("sample", a.sample, 1);
    // Only a signature by a key the user named makes a dataset ours: its scripts may then run on this host.
    const trusted = new Set<string>();
    if (a.trust) {
      const { loadPublicKey } = await import("../dataset/keyid.ts");
      const { verifyDataset } = await import("../dataset/sign.ts");
      const key = loadPublicKey(a.trust);
      for (const part of parts) {
        const dir = statSync(part.target).isDirectory() ? part.target : dirname(part.target);
        const ok = verifyDataset(dir, key);
        ctx.log.log(`${dir}: signature by key ID ${ok.keyid} holds for ${ok.files} files (root sha256:${ok.root})`);
        trusted.add(part.target);
      }
    }
    const seed = intFlag("seed", a.seed) ?? ctx.config.run.seed;
    if (a.sandbox && a.host) throw new UsageError("--sandbox and --host exclude each other");
    const mode = a.sandbox ? "sandbox" : a.host ? "host" : undefined;
    const expect = a.expect ?? "witness-verify";
    if (expect !== "witness-verify" && expect !== "any") throw new UsageError(`--expect must be witness-verify or any, not ${JSON.stringify(expect)}`);
    const other = parts.find((p) => p.track !== "witness");
    if (a.expect !== undefined && other)
      throw new UsageError(`--expect applies to chat JSONL (the witness track) only, not to ${other.target} (${other.track})`);
    if (a["stated-path"] && other) throw new UsageError(`--stated-path applies to witness answers only, not to ${other.target} (${other.track})`);
    let passed = 0;
    let failed = 0;
    let drifted = 0;
    for (const part of parts) {
      // A changed file is reported, and what is there is still verified line by line.
      drifted += reportManifestDrift(ctx, part.target);
      const track = await loadTrack(part.track);
      const r = await track.verify(ctx, part.target, {
        workers,
        sample,
        json: Boolean(a.json),
        seed,
        failFast: Boolean(a["fail-fast"]),
        mode,
        trusted: trusted.has(part.target),
        expect,
        statedPath: Boolean(a["stated-path"]),
      });
      passed += r.passed;
      failed += r.failed;
    }
    process.stderr.write(`${passed} passed, ${failed} failed\n`);
    const changed = drifted ? `${drifted} file${drifted === 1 ? "" : "s"} no longer match${drifted === 1 ? "es" : ""} the manifest` : "";
    if (failed > 0) throw new WorkFailedError(`${failed} of ${passed + failed} failed${changed ? `; ${changed}` : ""}`);
    if (changed)
      throw new WorkFailedError(changed, "The dataset was changed after its manifest was written: regenerate it, or verify the files as plain chat JSONL.");
    if (passed === 0) throw new InputError(`${target}: nothing to verify`);
  },
});
