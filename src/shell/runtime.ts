import type { RunContext } from "../context.ts";
import type { DockerEngine } from "../sandbox/docker.ts";
import { buildOfflineImage, findImage, IMAGE_REPO, type SandboxImage } from "../sandbox/image.ts";

/** The configured sandbox image, built offline first when it is the default one and missing. */
export async function openSandboxImage(engine: DockerEngine, ref: string, ctx: RunContext): Promise<SandboxImage> {
  const found = await findImage(engine, ref);
  if (found) return found;
  if (ref.startsWith(`${IMAGE_REPO}:`)) {
    ctx.log.info(`building the sandbox image offline (no ${ref} yet)`);
    return buildOfflineImage(engine);
  }
  const { DependencyError } = await import("../errors.ts");
  throw new DependencyError(`the sandbox image ${ref} is not present`, "Build it with `sekft sandbox build`, or set shell.image.");
}
