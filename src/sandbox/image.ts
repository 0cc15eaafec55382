import tar from "tar-stream";
import type Docker from "dockerode";
import { DependencyError } from "../errors.ts";
import type { DockerEngine } from "./docker.ts";
import { buildRootfs, OP_UID, PATH_VALUE } from "./rootfs.ts";
// Embedded at build time, so `sandbox build` works from a binary copied anywhere.
import DOCKERFILE from "../../Dockerfile" with { type: "text" };

export const IMAGE_REPO = "sekft-sandbox";

/** A sandbox image as bundles record it. */
export interface SandboxImage {
  tag: string;
  id: string;
}

const CHANGES = ["LABEL sekft=1", `ENV PATH=${PATH_VALUE}`, "ENV HOME=/home/op", "WORKDIR /home/op", `USER ${OP_UID}:${OP_UID}`, 'CMD ["/bin/sh"]'];

async function inspectTag(engine: DockerEngine, tag: string): Promise<SandboxImage | undefined> {
  try {
    const info = await engine.call("an image inspect", () => engine.docker.getImage(tag).inspect());
    return { tag, id: info.Id };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Waits for an image build or import stream to end; an error event becomes a DependencyError. */
export async function drainProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = events?.find((e) => e.error);
      if (err || failed) reject(new DependencyError(`building the sandbox image failed: ${err?.message ?? failed?.error}`));
      else resolve();
    });
  });
}

/** Builds the image with no registry: host dash + busybox packed as a rootfs and imported. */
export async function buildOfflineImage(engine: DockerEngine, opts: { force?: boolean } = {}): Promise<SandboxImage> {
  const { tar: rootfs, hash } = await buildRootfs();
  const tag = `${IMAGE_REPO}:${hash.slice(0, 16)}`;
  const existing = await inspectTag(engine, tag);
  if (existing && !opts.force) return existing;
  // The deadline covers the upload and the engine's first answer; the progress stream that follows is the build.
  const stream = await engine.call("an image import", () =>
    engine.docker.importImage(
      rootfs as unknown as NodeJS.ReadableStream,
      {
        repo: IMAGE_REPO,
        tag: hash.slice(0, 16),
        changes: CHANGES,
      } as object,
    ),
  );
  await drainProgress(engine.docker, stream);
  await engine.call("an image tag", () => engine.docker.getImage(tag).tag({ repo: IMAGE_REPO, tag: "latest" }));
  const built = await inspectTag(engine, tag);
  if (!built) throw new DependencyError(`the sandbox image ${tag} was imported but cannot be found`);
  return built;
}

/** Builds the image from the Dockerfile embedded in the binary (needs a registry for the base image). */
export async function buildOnlineImage(engine: DockerEngine): Promise<SandboxImage> {
  const pack = tar.pack();
  pack.entry({ name: "Dockerfile" }, DOCKERFILE);
  pack.finalize();
  const tag = `${IMAGE_REPO}:online`;
  const stream = await engine.call("an image build", () =>
    engine.docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, labels: { sekft: "1" } }),
  );
  await drainProgress(engine.docker, stream);
  await engine.call("an image tag", () => engine.docker.getImage(tag).tag({ repo: IMAGE_REPO, tag: "latest" }));
  const built = await inspectTag(engine, tag);
  if (!built) throw new DependencyError(`the sandbox image ${tag} was built but cannot be found`);
  return built;
}

/**
 * The image to run for a configured reference: present locally, else built offline when it names the sandbox
 * repository (`sekft-sandbox:…`); any other missing image is a DependencyError.
 */
export async function openImage(engine: DockerEngine, ref: string, onBuild?: () => void): Promise<SandboxImage> {
  const found = await inspectTag(engine, ref);
  if (found) return found;
  if (!ref.startsWith(`${IMAGE_REPO}:`)) {
    throw new DependencyError(`the sandbox image ${ref} is not present`, "Build it with `sekft sandbox build`, or set shell.image.");
  }
  onBuild?.();
  return buildOfflineImage(engine);
}

/** Resolves an image by id or tag when it is present locally. */
export async function findImage(engine: DockerEngine, ref: string): Promise<SandboxImage | undefined> {
  return inspectTag(engine, ref);
}
