import type { K8sConfig } from "../config/k8s-schema.ts";

export interface K8sJobRequest {
  shards: number;
  /** Items per shard (`--count` of each pod's gen). */
  count: number;
  image: string;
  track: string;
  seed: number;
  pvc: string;
}

const CONTAINER = "sekft";

function podSpec(cfg: K8sConfig, req: K8sJobRequest, args: string[]) {
  return {
    restartPolicy: "Never",
    containers: [
      {
        name: CONTAINER,
        image: req.image,
        args,
        resources: { requests: { cpu: String(cfg.cpu), memory: cfg.memory }, limits: { memory: cfg.memory } },
        volumeMounts: [{ name: "data", mountPath: cfg.mount }],
      },
    ],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: req.pvc } }],
  };
}

/**
 * The two Jobs of a sharded run: an Indexed Job whose pod I runs `gen --shard auto` into <mount>/shard-I
 * (Kubernetes sets JOB_COMPLETION_INDEX and expands it in the args), and a merge Job, created suspended, to
 * resume once the first completes. Returned as one `v1 List`, which `kubectl apply -f -` takes whole.
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
  return { apiVersion: "v1", kind: "List", items: [gen, merge] };
}
