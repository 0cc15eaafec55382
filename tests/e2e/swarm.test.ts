// needs: witness docker
import { afterAll, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import tar from "tar-stream";
import { cleanEnv, ROOT, runCli } from "../helpers/cli.ts";
import { dockerPresent, testWith, witnessBin } from "../helpers/deps.ts";

// A 4-shard witness run as Docker Swarm jobs on this machine's engine, merged, against the unsharded run.
// Each shard is its own `replicated-job` service (Swarm's task slots are no dense index for one job service),
// given its index as JOB_COMPLETION_INDEX for `gen --shard auto`. The task image is a skeleton built here
// with no registry; the host's /usr and /etc (node, make, cc, git, openssl…), the compiled sekft and witness
// are bind-mounted read-only, as a cluster image would hold them, without copying hundreds of MB of toolchain.

const SHARDS = 4;
const PER_SHARD = 3;
const BIN = join(ROOT, "dist/sekft");
const FAST = join(ROOT, "fixtures/configs/witness-fast.toml");
const docker = new Docker();
const RUN = `sekft-swarm-test-${process.pid}`;
const IMAGE = `${RUN}:skeleton`;
const HAVE = dockerPresent() && Boolean(witnessBin()) && existsSync(BIN);
const created = { swarm: false, gwbridge: false, image: false, services: [] as string[] };

/** The skeleton rootfs: merged-/usr symlinks and empty mount points, nothing else. */
async function skeleton(): Promise<Buffer> {
  const pack = tar.pack();
  const links: [string, string][] = [
    ["bin", "usr/bin"],
    ["lib", "usr/lib"],
    ["lib64", "usr/lib64"],
    ["sbin", "usr/sbin"],
  ];
  for (const [name, target] of links) pack.entry({ name, type: "symlink", linkname: target });
  for (const dir of ["usr", "etc", "out", "cfg", "opt", "opt/sekft", "root", "dev", "proc", "sys"]) pack.entry({ name: dir, type: "directory", mode: 0o755 });
  pack.entry({ name: "tmp", type: "directory", mode: 0o1777 });
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function importImage(): Promise<void> {
  const { Readable } = await import("node:stream");
  const stream = await docker.importImage(Readable.from(await skeleton()) as unknown as NodeJS.ReadableStream, { repo: RUN, tag: "skeleton" } as object);
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e) => (e ? reject(e) : resolve(null))));
  created.image = true;
}

async function runShards(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const mount = (source: string, target: string, readOnly = true) => ({ Type: "bind", Source: source, Target: target, ReadOnly: readOnly });
  for (let i = 0; i < SHARDS; i++) {
    const name = `${RUN}-shard-${i}`;
    await docker.createService({
      Name: name,
      Labels: { "sekft-test": RUN },
      TaskTemplate: {
        ContainerSpec: {
          Image: IMAGE,
          Command: ["/opt/sekft/sekft"],
          Args: ["gen", "--config", "/cfg/fast.toml", "--count", String(PER_SHARD), "--seed", "5", "--workers", "1"].concat([
            "--shard",
            "auto",
            "--shards",
            String(SHARDS),
            "--out",
            `/out/shard-${i}`,
          ]),
          Env: [`JOB_COMPLETION_INDEX=${i}`, "HOME=/tmp", "NO_COLOR=1", "SEKFT_WITNESS=/opt/sekft/witness", "PATH=/usr/local/bin:/usr/bin:/bin"],
          Mounts: [
            mount("/usr", "/usr"),
            mount("/etc", "/etc"),
            mount(BIN, "/opt/sekft/sekft"),
            mount(witnessBin()!, "/opt/sekft/witness"),
            mount(FAST, "/cfg/fast.toml"),
            mount(out, "/out", false),
          ],
        },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    } as object);
    created.services.push(name);
  }
  const deadline = Date.now() + 600_000;
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { label: [`sekft-test=${RUN}`] } } as object)) as {
      ServiceID: string;
      Status: { State: string; Err?: string };
    }[];
    const states = tasks.map((t) => t.Status.State);
    const failed = tasks.find((t) => ["failed", "rejected"].includes(t.Status.State));
    if (failed) throw new Error(`a shard task ${failed.Status.State}: ${failed.Status.Err ?? ""}`);
    if (states.length >= SHARDS && states.every((s) => s === "complete")) return;
    if (Date.now() > deadline) throw new Error(`shards not complete after 10 minutes: ${states.join(", ")}`);
    await Bun.sleep(1000);
  }
}

afterAll(async () => {
  for (const name of created.services)
    await docker
      .getService(name)
      .remove()
      .catch(() => {});
  if (created.swarm) await docker.swarmLeave({ force: true }).catch(() => {});
  if (created.gwbridge)
    await docker
      .getNetwork("docker_gwbridge")
      .remove()
      .catch(() => {});
  if (created.image)
    await docker
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => {});
});

testWith(
  HAVE,
  "a 4-shard witness run as Swarm jobs, merged, equals the unsharded run byte for byte",
  async () => {
    const info = (await docker.info()) as { Swarm: { LocalNodeState: string } };
    const state = info.Swarm.LocalNodeState;
    // Never join, use or leave a swarm this test did not create.
    if (state !== "inactive") throw new Error(`the engine is already in a swarm (${state}); this test only runs on an engine in none`);
    const hadGwbridge = (await docker.listNetworks()).some((n) => n.Name === "docker_gwbridge");
    await docker.swarmInit({ ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1" });
    created.swarm = true;
    created.gwbridge = !hadGwbridge;
    await importImage();

    const root = mkdtempSync(join(tmpdir(), "sekft-swarm-"));
    const env = cleanEnv({ HOME: process.env.HOME ?? "/root" });
    const t0 = performance.now();
    const full = await runCli(["gen", "--config", FAST, "--count", String(SHARDS * PER_SHARD), "--seed", "5", "--workers", "2", "--out", join(root, "full")], {
      env,
      bin: BIN,
    });
    const unsharded = (performance.now() - t0) / 1000;
    expect(full.code, full.stderr).toBe(0);

    const t1 = performance.now();
    await runShards(join(root, "shards"));
    const swarm = (performance.now() - t1) / 1000;
    const shards = Array.from({ length: SHARDS }, (_, i) => join(root, "shards", `shard-${i}`));
    const merged = await runCli(["merge", join(root, "merged"), ...shards], { env, bin: BIN });
    expect(merged.code, merged.stderr).toBe(0);
    for (const f of ["train.jsonl", "valid.jsonl"]) {
      const text = (d: string) => (existsSync(join(root, d, "witness", f)) ? readFileSync(join(root, d, "witness", f), "utf8") : "");
      expect(text("merged"), f).toBe(text("full"));
    }
    process.stderr.write(`swarm: ${SHARDS} shard jobs ${swarm.toFixed(1)}s wall vs unsharded ${unsharded.toFixed(1)}s (${SHARDS * PER_SHARD} examples)\n`);
  },
  900_000,
);
