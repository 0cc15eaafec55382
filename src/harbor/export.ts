import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ShellConfig } from "../config/shell-schema.ts";
import type { RunContext } from "../context.ts";
import { InputError } from "../errors.ts";
import { resolveInside } from "../files.ts";
import { DockerEngine, engineOptions } from "../sandbox/docker.ts";
import { findImage, openImage } from "../sandbox/image.ts";
import { bundleId, type Bundle } from "../shell/bundle.ts";
import { bundleFiles } from "../shell/store.ts";
import { loadUntrusted } from "../shell/verify.ts";
import { printable } from "../ui/format.ts";
import { harborBase } from "./base-image.ts";
import { type HarborLimits, renderTask, type TaskFile } from "./task.ts";

/** The sandbox limits a Harbor task carries, from `[shell.sandbox]` and `[shell.limits]`. */
export function harborLimits(shell: ShellConfig): HarborLimits {
  const { sandbox, limits } = shell;
  return { ...sandbox, max_commands: limits.max_commands };
}

/** Writes a task directory whole: into a hidden sibling first, then renamed over OUT/NAME, so no half-task looks complete. */
export function writeTaskDir(out: string, name: string, files: TaskFile[]): string {
  const dest = join(out, name);
  const partial = join(out, `.${name}.partial`);
  rmSync(partial, { recursive: true, force: true });
  for (const f of files) {
    const inside = resolveInside(partial, f.path);
    if (!inside.ok) throw new InputError(`${name}: ${f.path} ${inside.why}`);
    mkdirSync(dirname(inside.path), { recursive: true });
    writeFileSync(inside.path, f.content);
    chmodSync(inside.path, f.executable ? 0o755 : 0o644);
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(partial, dest);
  return dest;
}

/**
 * `sekft export harbor BUNDLE_DIR --out DIR`: one Harbor task directory per bundle, OUT/<bundle id>. Every bundle
 * is read as untrusted input and checked (schema, safety rules, id) before anything is written; one that fails
 * is an InputError naming its file.
 */
export async function exportHarbor(ctx: RunContext, bundleDir: string, out: string): Promise<{ tasks: string[] }> {
  const limits = harborLimits(ctx.config.shell);
  const bundles: Array<{ file: string; bundle: Bundle }> = [];
  for (const file of bundleFiles(bundleDir)) {
    const loaded = loadUntrusted(file, ctx.config.shell.limits);
    if (!loaded.bundle) throw new InputError(`${file}: ${printable(loaded.unsafe)}`);
    const { schema: _s, id, cell, author: _a, image: _i, gate, ...scenario } = loaded.bundle;
    if (bundleId(cell, scenario) !== id) throw new InputError(`${file}: content does not match the bundle id ${id} (edited?)`);
    if (!gate.passed) throw new InputError(`${file}: the bundle did not pass its gate`);
    bundles.push({ file, bundle: loaded.bundle });
  }
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  const fallback = await openImage(engine, ctx.config.shell.image, () => ctx.log.info(`building the sandbox image offline (no ${ctx.config.shell.image} yet)`));
  const bases = new Map<string, string>();
  const rendered: Array<{ bundle: Bundle; files: TaskFile[] }> = [];
  for (const { file, bundle } of bundles) {
    const sandbox = (await findImage(engine, bundle.image.id)) ?? fallback;
    const base = bases.get(sandbox.id) ?? (await harborBase(engine, sandbox));
    bases.set(sandbox.id, base);
    const files = renderTask(bundle, limits, base);
    if ("error" in files) throw new InputError(`${file}: cannot be a Harbor task: ${files.error}`);
    rendered.push({ bundle, files });
  }
  mkdirSync(out, { recursive: true });
  const tasks = rendered.map(({ bundle, files }) => writeTaskDir(out, bundle.id, files));
  ctx.log.info(`exported ${tasks.length} Harbor task${tasks.length === 1 ? "" : "s"} to ${out} (base image ${[...bases.values()].join(", ")})`);
  return { tasks };
}
