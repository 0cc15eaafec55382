import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { configArgs, createContext } from "./_context.ts";
import { outputDir } from "./_dir.ts";
import { intFlag } from "./_flags.ts";

const args = {
  out: { type: "positional", required: true, description: "Output directory (the merged dataset goes to OUT/<track>)" },
  ...configArgs,
  count: { type: "string", description: "Items to keep in all (default: the shards' requested counts, summed)" },
  "allow-partial": { type: "string", description: "I,J,...: merge without these shard indexes (they must be exactly the missing ones)" },
  trust: { type: "string", description: "Public key (PEM): refuse a shard whose manifest is not signed by it or whose files differ" },
  "sign-key": { type: "string", description: "Private key (PEM): sign the merged manifest (DSSE over an in-toto statement)" },
} as const;

/** Parses `--allow-partial 1,3`. */
function parseIndexes(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) throw new UsageError(`--allow-partial takes shard indexes like 1,3; got "${value}"`);
  return parts.map(Number);
}

export default defineCommand({
  meta: { name: "merge", description: "Merge the shard outputs of one run into the dataset the unsharded run makes (SHARD_DIR... after OUT)" },
  args,
  async run({ args: a }) {
    const out = outputDir(a.out as string);
    const shards = (a._ as string[]).slice(1); // citty puts every positional in `_`, OUT first
    if (shards.length === 0) throw new UsageError("merge needs OUT and at least one SHARD_DIR", "sekft merge OUT SHARD_DIR...");
    const ctx = await createContext(a);
    const { mergeShards } = await import("../scale/merge.ts");
    const { loadPrivateKey, loadPublicKey } = await import("../dataset/keyid.ts");
    const { signDataset, trustGuard } = await import("../dataset/sign.ts");
    const signKey = a["sign-key"] ? loadPrivateKey(a["sign-key"]) : undefined;
    const guard = a.trust ? trustGuard(loadPublicKey(a.trust)) : undefined;
    const summary = await mergeShards(ctx, { out, shards, count: intFlag("count", a.count, 1), allowMissing: parseIndexes(a["allow-partial"]), guard });
    if (signKey) {
      const signed = signDataset(summary.dir, signKey);
      ctx.log.log(`signed ${summary.dir} (root sha256:${signed.root}) with key ID ${signed.keyid}`);
    }
  },
});
