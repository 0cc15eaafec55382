import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import tar from "tar-stream";
import { DependencyError } from "../errors.ts";
import { readBoundedFile } from "../files.ts";
import type { DockerEngine } from "../sandbox/docker.ts";
import { drainProgress, findImage, type SandboxImage } from "../sandbox/image.ts";

export const HARBOR_REPO = "sekft-harbor";
/** Debian's bash-static: Harbor's docker environment wraps every exec in `bash -c`, and the sandbox has only dash. */
const BASH_STATIC = ["/bin/bash-static", "/usr/bin/bash-static"];

/** The host's static bash, or a DependencyError saying how to get one. */
function staticBash(): Buffer {
  const path = BASH_STATIC.find((p) => existsSync(p));
  if (!path) throw new DependencyError("no static bash on this host (/bin/bash-static)", "Install Debian's bash-static (scripts/setup.sh does).");
  return readBoundedFile(path, 64 * 2 ** 20, "static bash");
}

/**
 * The base image of exported Harbor tasks: the sandbox image, unchanged, plus /usr/bin/bash (a static build) for
 * Harbor's exec wrapper. Built offline from the local sandbox image; its tag names what went in, so a rebuild
 * from the same sandbox image and bash is a no-op.
 */
export async function harborBase(engine: DockerEngine, sandbox: SandboxImage): Promise<string> {
  const bash = staticBash();
  const hash = createHash("sha256").update(sandbox.id).update("\0").update(bash).digest("hex").slice(0, 16);
  const tag = `${HARBOR_REPO}:${hash}`;
  if (await findImage(engine, tag)) return tag;
  const dockerfile = `FROM ${sandbox.id}\nCOPY bash /usr/bin/bash\n`;
  const pack = tar.pack();
  pack.entry({ name: "Dockerfile", mode: 0o644 }, dockerfile);
  pack.entry({ name: "bash", mode: 0o755 }, bash);
  pack.finalize();
  const stream = await engine.call("an image build", () =>
    engine.docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, labels: { sekft: "1" } }),
  );
  await drainProgress(engine.docker, stream);
  if (!(await findImage(engine, tag))) throw new DependencyError(`the Harbor base image ${tag} was built but cannot be found`);
  return tag;
}
