import { availableParallelism } from "node:os";
import type { RunContext } from "../context.ts";
import { InterruptedError } from "../errors.ts";
import { runPool } from "../pool/pool.ts";
import type { VerifyOptions } from "../tracks.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { DockerEngine } from "../sandbox/docker.ts";
import { findImage, openImage } from "../sandbox/image.ts";
import { bundleId, type Bundle } from "./bundle.ts";
import { gateScenario } from "./gate.ts";
import { bundleFiles, readBundle } from "./store.ts";

/** `sekft verify BUNDLE_DIR`: re-runs the gate on every bundle (or a sample); prints `N passed, N failed`. */
export async function verifyBundles(ctx: RunContext, dir: string, opts: Omit<VerifyOptions, "seed">): Promise<{ passed: number; failed: number }> {
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
  const check = async ({ file, bundle }: { file: string; bundle: Bundle }): Promise<Tally> => {
    const { schema: _s, id, cell, author: _a, image: recorded, gate: _g, ...scenario } = bundle;
    if (bundleId(cell, scenario) !== id) {
      results.push({ id, file, passed: false, reason: "content does not match the bundle id (edited?)", timings_ms: null });
      return { ok: false };
    }
    const image = (await findImage(engine, recorded.id)) ?? fallback;
    const gate = await gateScenario({ engine, image, sandbox: shell.sandbox, signal: ctx.signal }, cell, scenario, shell.gate_repeats);
    results.push({ id, file, passed: gate.passed, ...(gate.reason ? { reason: gate.reason } : {}), timings_ms: gate.timings_ms });
    if (!gate.passed) ctx.log.warn(`${id}: ${gate.reason}`);
    return { ok: gate.passed };
  };
  const workers = opts.workers && opts.workers > 0 ? opts.workers : availableParallelism();
  const progress = new Progress("verify", bundles.length, { tty: ctx.tty, quiet: opts.json && !ctx.tty, words: ["passed", "failed"] });
  await runPool(bundles, check, { workers, signal: ctx.signal, onEvent: progress.onEvent });
  progress.end();
  if (ctx.signal.aborted) throw new InterruptedError();
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  if (opts.json) process.stdout.write(`${JSON.stringify({ passed, failed, results })}\n`);
  return { passed, failed };
}
