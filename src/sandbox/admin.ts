import type { RunContext } from "../context.ts";
import { DependencyError } from "../errors.ts";
import { sandboxSpec } from "./container.ts";
import { DockerEngine, engineOptions } from "./docker.ts";
import { describeExec, describeProfile, probeSandbox, usernsRemap } from "./security.ts";
import { buildOfflineImage, buildOnlineImage, findImage } from "./image.ts";

/** `sekft sandbox build [--offline]`. */
export async function buildSandbox(ctx: RunContext, opts: { offline: boolean }): Promise<void> {
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  const started = performance.now();
  const image = opts.offline ? await buildOfflineImage(engine, { force: true }) : await buildOnlineImage(engine);
  ctx.log.success(`built ${image.tag} (${image.id}) in ${((performance.now() - started) / 1000).toFixed(1)}s${opts.offline ? ", offline" : ""}`);
  process.stdout.write(`${image.id}\n`);
}

/**
 * `sekft sandbox check`: engine version, image digest, the security settings every container gets, and what an
 * operator exec, a checker exec and a verify script (with `witness`) hold, read from inside each.
 */
export async function checkSandbox(ctx: RunContext, witness: string | undefined): Promise<void> {
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  const version = await engine.call("a version request", () => engine.docker.version());
  const shell = ctx.config.shell;
  const image = await findImage(engine, shell.image);
  if (!image) throw new DependencyError(`the sandbox image ${shell.image} is not built`, "Run `sekft sandbox build --offline`.");
  const host = sandboxSpec(image, shell.sandbox, {}).HostConfig!;
  const held = await probeSandbox(engine, image, shell.sandbox, ctx.signal);
  const remapped = await usernsRemap(engine);
  const lines = [
    `engine: Docker ${version.Version} (API ${version.ApiVersion}) at ${engine.where}`,
    `image: ${image.tag} ${image.id}`,
    `network: ${host.NetworkMode}`,
    `capabilities dropped: ${(host.CapDrop ?? []).join(",")}; kept for sekft's own root execs only: ${(host.CapAdd ?? []).join(",")}`,
    `security options: no-new-privileges, ${describeProfile()}`,
    describeExec("operator exec (read inside)", held.operator),
    describeExec("checker exec (read inside; root, clean environment, after the operator's processes are killed)", held.checker),
    `user namespaces: ${remapped ? "remapped (root in a container is an unprivileged uid on the host)" : "not remapped (recommended, not required: dockerd --userns-remap=default)"}`,
    `read-only root: ${host.ReadonlyRootfs}`,
    `limits: pids ${host.PidsLimit}, memory ${shell.sandbox.memory_mb} MiB, cpus ${shell.sandbox.cpus}`,
    `writable (tmpfs): /tmp, /run/sekft, /home/op, /usr/local, /var (${shell.sandbox.disk_mb} MiB each)`,
  ];
  if (witness) {
    const { VerifyBox } = await import("./verify-box.ts");
    await using box = await VerifyBox.open(ctx.env, witness, ctx.config.witness.sandbox);
    lines.push(describeExec("verify box script exec (read inside)", await box.probe(ctx.signal)));
  } else lines.push("verify box: not probed (witness not found)");
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * `sekft sandbox clean`: removes the containers and volumes of dead runs on this host (a run in progress, here
 * or on another host sharing the engine, keeps its own); `--all` removes every container, volume and image
 * sekft labelled.
 */
export async function cleanSandbox(ctx: RunContext, opts: { all: boolean } = { all: false }): Promise<void> {
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  if (!opts.all) {
    const containers = await engine.removeDeadRuns();
    ctx.log.success(`removed ${containers} container(s) of dead sekft runs (--all also removes live runs' containers and the images)`);
    return;
  }
  const { containers, images } = await engine.removeAllLabelled();
  ctx.log.success(`removed ${containers} container(s) and ${images} image(s) labelled sekft`);
}
