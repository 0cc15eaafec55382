import type { K8sConfig } from "../config/k8s-schema.ts";

export interface K8sJobRequest {
  shards: number;
  /** Items per shard (`--count` of each pod's gen). */
  count: number;
  image: string;
  track: string;
  seed: number;
  pvc: string;
  /** The effective config as TOML (`printConfig`), which every pod runs with. */
  configToml: string;
  /** Its digest, as the shards' manifests will record it (`configDigest`). */
  configSha256: string;
}

const CONTAINER = "sekft";
const CONFIG_DIR = "/etc/sekft";
const CONFIG_FILE = `${CONFIG_DIR}/config.toml`;

function podSpec(cfg: K8sConfig, req: K8sJobRequest, args: string[]) {
  return {
    restartPolicy: "Never",
    containers: [
      {
        name: CONTAINER,
        image: req.image,
        args: [...args, "--config", CONFIG_FILE],
        resources: { requests: { cpu: String(cfg.cpu), memory: cfg.memory }, limits: { memory: cfg.memory } },
        volumeMounts: [
          { name: "data", mountPath: cfg.mount },
          { name: "config", mountPath: CONFIG_DIR, readOnly: true },
        ],
      },
    ],
    volumes: [
      { name: "data", persistentVolumeClaim: { claimName: req.pvc } },
      { name: "config", configMap: { name: `${cfg.name}-config` } },
    ],
  };
}

/**
 * The objects of a sharded run: a ConfigMap holding the effective config (every pod mounts it and passes it
 * with `--config`, so the config one gives is the config each shard runs; merge refuses shards whose
 * manifests record another config digest), an Indexed Job whose pod I runs `gen --shard auto` into
 * <mount>/shard-I (Kubernetes sets JOB_COMPLETION_INDEX and expands it in the args), and a merge Job, created
 * suspended, to resume once the first completes. Returned as one `v1 List`, which `kubectl apply -f -` takes whole.
 */
export function k8sJobs(cfg: K8sConfig, req: K8sJobRequest): Record<string, unknown> {
  const labels = { "app.kubernetes.io/name": "sekft", "app.kubernetes.io/instance": cfg.name };
  const shardDir = (i: string | number): string => `${cfg.mount}/shard-${i}`;
  const gen = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `${cfg.name}-gen`, labels: { ...labels, "app.kubernetes.io/component": "gen" } },
    spec: {
      completionMode: "Indexed",
      completions: req.shards,
      parallelism: req.shards,
      backoffLimitPerIndex: cfg.backoff_limit_per_index,
      maxFailedIndexes: cfg.max_failed_indexes,
      podFailurePolicy: {
        rules: [
          // Exit 2 is a wrong request (flag, config, input): rerunning cannot help.
          { action: "FailIndex", onExitCodes: { containerName: CONTAINER, operator: "In", values: [2] } },
          // A node drained or a pod preempted is no failure of the shard: rerun it, uncounted (gen resumes).
          { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
        ],
      },
      template: {
        metadata: { labels: { ...labels, "app.kubernetes.io/component": "gen" } },
        spec: podSpec(cfg, req, [
          "gen",
          "--track",
          req.track,
          "--count",
          String(req.count),
          "--seed",
          String(req.seed),
          "--workers",
          String(cfg.cpu),
          "--shard",
          "auto",
          "--shards",
          String(req.shards),
          "--out",
          shardDir("$(JOB_COMPLETION_INDEX)"),
        ]),
      },
    },
  };
  const merge = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `${cfg.name}-merge`, labels: { ...labels, "app.kubernetes.io/component": "merge" } },
    spec: {
      suspend: true,
      completions: 1,
      backoffLimit: 1,
      template: {
        metadata: { labels: { ...labels, "app.kubernetes.io/component": "merge" } },
        spec: podSpec(cfg, req, ["merge", `${cfg.mount}/merged`, ...Array.from({ length: req.shards }, (_, i) => shardDir(i))]),
      },
    },
  };
  const config = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `${cfg.name}-config`,
      labels: { ...labels, "app.kubernetes.io/component": "config" },
      annotations: { "sekft.dev/config-sha256": req.configSha256 },
    },
    data: { "config.toml": req.configToml },
  };
  return { apiVersion: "v1", kind: "List", items: [config, gen, merge] };
}
