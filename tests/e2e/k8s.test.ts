import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { loadConfig } from "../../src/config/load.ts";
import { configDigest } from "../../src/dataset/manifest.ts";
import { runCli } from "../helpers/cli.ts";

type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, any> };

async function jobs(args: string[]): Promise<Manifest[]> {
  const r = await runCli(["k8s", "job", ...args]);
  expect(r.code, r.stderr).toBe(0);
  const list = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: Manifest[] };
  expect(list.apiVersion).toBe("v1");
  expect(list.kind).toBe("List");
  return list.items;
}

test("k8s job prints an Indexed Job and a merge Job that pass the Kubernetes OpenAPI schema", async () => {
  const [config, gen, merge] = await jobs(["--shards", "4", "--count", "250", "--image", "registry.example/sekft:0.1.0", "--pvc", "claim-1"]);
  new ConfigMap(config as any).validate();
  // The validators are generated from the Kubernetes OpenAPI spec (kubernetes-models); validate() throws on a violation.
  new Job(gen as any).validate();
  new Job(merge as any).validate();
  expect(gen!.spec.completionMode).toBe("Indexed");
  expect(gen!.spec.completions).toBe(4);
  expect(gen!.spec.parallelism).toBe(4);
  expect(gen!.spec.backoffLimitPerIndex).toBe(2);
  expect(gen!.spec.podFailurePolicy.rules.map((r: { action: string }) => r.action)).toEqual(["FailIndex", "Ignore"]);
  const pod = gen!.spec.template.spec;
  const container = pod.containers[0];
  expect(container.image).toBe("registry.example/sekft:0.1.0");
  expect(container.args.join(" ")).toBe(
    "gen --track witness --count 250 --seed 1 --workers 2 --shard auto --shards 4 --out /data/shard-$(JOB_COMPLETION_INDEX) --config /etc/sekft/config.toml",
  );
  expect(container.resources.requests).toEqual({ cpu: "2", memory: "4Gi" });
  expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe("claim-1");
  expect(merge!.spec.suspend).toBe(true);
  expect(merge!.spec.template.spec.containers[0].args).toEqual([
    "merge",
    "/data/merged",
    "/data/shard-0",
    "/data/shard-1",
    "/data/shard-2",
    "/data/shard-3",
    "--config",
    "/etc/sekft/config.toml",
  ]);
  expect(merge!.spec.template.spec.volumes).toEqual(pod.volumes);
});

// Issue 20, item 7: `k8s job --config F` used F's seed, but the pods ran gen with the embedded defaults.
test("k8s job --config F ships F in a ConfigMap every pod mounts and passes with --config; its digest is the shards' config_sha256", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-k8s-"));
  const file = join(dir, "run.toml");
  writeFileSync(file, "[run]\nseed = 9\n\n[witness]\ntimeout_s = 77\n");
  const [config, gen] = await jobs(["--shards", "2", "--count", "5", "--image", "i", "--config", file]);
  expect(config!.kind).toBe("ConfigMap");
  const shipped = join(dir, "shipped.toml");
  writeFileSync(shipped, (config as unknown as { data: Record<string, string> }).data["config.toml"]!);
  const loaded = loadConfig(shipped);
  expect(loaded.witness.timeout_s).toBe(77);
  expect(loaded.run.seed).toBe(9);
  expect(configDigest(loaded)).toBe(configDigest(loadConfig(file)));
  expect((config!.metadata as unknown as { annotations: Record<string, string> }).annotations["sekft.dev/config-sha256"]).toBe(configDigest(loadConfig(file)));
  const pod = gen!.spec.template.spec;
  expect(pod.containers[0].args.slice(-2)).toEqual(["--config", "/etc/sekft/config.toml"]);
  expect(pod.containers[0].volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/sekft", readOnly: true });
  expect(pod.volumes).toContainEqual({ name: "config", configMap: { name: config!.metadata.name } });
});

test("the schema check bites: a wrong field type or enum is refused", () => {
  expect(() => new Job({ metadata: { name: "x" }, spec: { completionMode: "Sharded", template: {} } } as any).validate()).toThrow();
  expect(() => new Job({ metadata: { name: "x" }, spec: { parallelism: "4", template: {} } } as any).validate()).toThrow();
});

test("k8s job refuses a missing flag and an unknown track with exit 2", async () => {
  expect((await runCli(["k8s", "job", "--shards", "4", "--count", "2"])).code).toBe(2);
  expect((await runCli(["k8s", "job", "--shards", "4", "--count", "2", "--image", "i", "--track", "nope"])).code).toBe(2);
  expect((await runCli(["k8s", "job", "--shards", "0", "--count", "2", "--image", "i"])).code).toBe(2);
});
