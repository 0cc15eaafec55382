import { expect, test } from "bun:test";
import { Job } from "kubernetes-models/batch/v1/Job";
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
  const [gen, merge] = await jobs(["--shards", "4", "--count", "250", "--image", "registry.example/sekft:0.1.0", "--pvc", "claim-1"]);
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
    "gen --track witness --count 250 --seed 1 --workers 2 --shard auto --shards 4 --out /data/shard-$(JOB_COMPLETION_INDEX)",
  );
  expect(container.resources.requests).toEqual({ cpu: "2", memory: "4Gi" });
  expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe("claim-1");
  expect(merge!.spec.suspend).toBe(true);
  expect(merge!.spec.template.spec.containers[0].args).toEqual(["merge", "/data/merged", "/data/shard-0", "/data/shard-1", "/data/shard-2", "/data/shard-3"]);
  expect(merge!.spec.template.spec.volumes).toEqual(pod.volumes);
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
