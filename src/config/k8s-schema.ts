import { z } from "zod";

/** `[k8s]`: what `sekft k8s job` puts in the Job manifests. The values live in config.toml only. */
export const K8sSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/, "a DNS label of at most 42 characters")
    .describe("prefix of the Job names (<name>-gen, <name>-merge)"),
  pvc: z.string().min(1).describe("PersistentVolumeClaim shared by the shards and the merge (--pvc)"),
  mount: z.string().regex(/^\/./, "an absolute path").describe("where the claim is mounted in each pod"),
  cpu: z.number().int().min(1).max(256).describe("CPU cores requested per shard pod; also its --workers"),
  memory: z
    .string()
    .regex(/^\d+(Ki|Mi|Gi|Ti)$/, 'a quantity such as "4Gi"')
    .describe("memory requested (and limit) per pod"),
  backoff_limit_per_index: z.number().int().min(0).max(100).describe("retries of one failed shard before it is marked failed"),
  max_failed_indexes: z.number().int().min(0).describe("failed shards after which the whole Job stops"),
});

export type K8sConfig = z.infer<typeof K8sSchema>;
