import { availableParallelism } from "node:os";
import type { RunContext } from "../context.ts";
import { InterruptedError } from "../errors.ts";
import { runPool } from "../pool/pool.ts";
import { DockerEngine } from "../sandbox/docker.ts";
import { findImage, openImage } from "../sandbox/image.ts";
import { bundleId, type Bundle } from "./bundle.ts";
import { gateScenario } from "./gate.ts";
import { bundleFiles, readBundle } from "./store.ts";

export interface VerifyBundlesOptions {
  workers?: number;
  sample?: number;
  json?: boolean;
}

/** `sekft verify BUNDLE_DIR`: re-runs the gate on every bundle (or a sample); prints `N passed, N failed`. */
export async function verifyBundles(ctx: RunContext, dir: string, opts: VerifyBundlesOptions): Promise<{ passed: number; failed: number }> {
  // Every file is read and validated before any container starts: an unreadable one is exit 2.
  let bundles = bundleFiles(dir).map((file) => ({ file, bundle: readBundle(file) }));
  if (opts.sample !== undefined && opts.sample < bundles.length) {
    bundles = [...bundles].sort((a, b) => (a.bundle.id < b.bundle.id ? -1 : 1)).slice(0, opts.sample);
  }
  const shell = ctx.config.shell;
  await using engine = await DockerEngine.connect(ctx.env);
  await engine.reapOrphans();
  const fallback = await openImage(engine, shell.image, () => ctx.log.info(`building the sandbox image offline (no ${shell.image} yet)`));
  const results: Array<{ id: string; file: string; passed: boolean; reason?: string; timings_ms: unknown }> = [];
  const check = async ({ file, bundle }: { file: string; bundle: Bundle }): Promise<void> => {
    const { schema: _s, id, cell, author: _a, image: recorded, gate: _g, ...scenario } = bundle;
    if (bundleId(cell, scenario) !== id) {
      results.push({ id, file, passed: false, reason: "content does not match the bundle id (edited?)", timings_ms: null });
      return;
    }
    const image = (await findImage(engine, recorded.id)) ?? fallback;
    const gate = await gateScenario({ engine, image, sandbox: shell.sandbox, signal: ctx.signal }, cell, scenario, shell.gate_repeats);
    results.push({ id, file, passed: gate.passed, ...(gate.reason ? { reason: gate.reason } : {}), timings_ms: gate.timings_ms });
    if (!gate.passed) ctx.log.warn(`${id}: ${gate.reason}`);
  };
  const workers = opts.workers && opts.workers > 0 ? opts.workers : availableParallelism();
  await runPool(bundles, check, { workers, signal: ctx.signal });
  if (ctx.signal.aborted) throw new InterruptedError();
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  ctx.log.log(`${passed} passed, ${failed} failed`);
  if (opts.json) process.stdout.write(`${JSON.stringify({ passed, failed, results })}\n`);
  return { passed, failed };
}
