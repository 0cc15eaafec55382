import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { ShellConfig } from "../config/shell-schema.ts";
import type { RunContext } from "../context.ts";
import { InterruptedError } from "../errors.ts";
import { runPool } from "../pool/pool.ts";
import type { VerifyOptions } from "../track-types.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { DockerEngine, engineOptions } from "../sandbox/docker.ts";
import { findImage, openImage } from "../sandbox/image.ts";
import { bundleId, parseScenario, type Bundle } from "./bundle.ts";
import { gateScenario } from "./gate.ts";
import { bundleFiles, parseBundle, readBundleJson } from "./store.ts";
import { printable } from "../ui/format.ts";

/** A bundle read for verification, or why it fails without any container being started. */
export type Loaded = { file: string; id: string; bundle: Bundle; unsafe?: undefined } | { file: string; id: string; bundle?: undefined; unsafe: string };

/** The largest file a bundle within `limits` can be (JSON escaping at most doubles the content), plus slack. */
export function bundleFileCap(limits: ShellConfig["limits"]): number {
  return 2 * (limits.max_total_bytes + limits.max_checker_bytes + (limits.max_commands + 2) * 4096) + 2 ** 20;
}

/**
 * Reads a bundle from disk as untrusted input: a file past the cap is not read whole, and its scenario must pass
 * every safety rule the authoring path applies (the id is a plain content hash anyone can recompute).
 */
export function loadUntrusted(file: string, limits: ShellConfig["limits"]): Loaded {
  const cap = bundleFileCap(limits);
  const stat = statSync(file, { throwIfNoEntry: false });
  const id = basename(file, ".json");
  if (stat?.isFile() && stat.size > cap)
    return { file, id, unsafe: `oversize: the file has ${stat.size} bytes, more than a bundle within [shell.limits] can hold (${cap})` };
  const raw = readBundleJson(file, cap);
  const read = parseBundle(raw);
  if (!read.ok) {
    const claimed = (raw as { id?: unknown } | null)?.id;
    return { file, id: typeof claimed === "string" ? claimed : id, unsafe: `unsafe: ${read.reason}` };
  }
  const bundle = read.bundle;
  const { schema: _s, id: _i, cell: _c, author: _a, image: _im, gate: _g, ...scenario } = bundle;
  const parsed = parseScenario(scenario, limits);
  return parsed.ok ? { file, id: bundle.id, bundle } : { file, id: bundle.id, unsafe: `unsafe: ${parsed.reason}` };
}

/** `sekft verify BUNDLE_DIR`: re-runs the gate on every bundle (or a sample); prints `N passed, N failed`. */
export async function verifyBundles(ctx: RunContext, dir: string, opts: Omit<VerifyOptions, "seed">): Promise<{ passed: number; failed: number }> {
  // Every file is read and checked before any container starts: an unreadable one is exit 2, an unsafe one fails.
  const shell = ctx.config.shell;
  let bundles = bundleFiles(dir).map((file) => loadUntrusted(file, shell.limits));
  if (opts.sample !== undefined && opts.sample < bundles.length) {
    bundles = [...bundles].sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, opts.sample);
  }
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  await engine.reapOrphans();
  const fallback = await openImage(engine, shell.image, () => ctx.log.info(`building the sandbox image offline (no ${shell.image} yet)`));
  const results: Array<{ id: string; file: string; passed: boolean; reason?: string; timings_ms: unknown }> = [];
  const check = async ({ file, id: fileId, bundle, unsafe }: Loaded): Promise<Tally> => {
    if (!bundle) {
      results.push({ id: fileId, file, passed: false, reason: unsafe, timings_ms: null });
      ctx.log.warn(`${file}: ${printable(unsafe ?? "")}`);
      return { ok: false };
    }
    const { schema: _s, id, cell, author: _a, image: recorded, gate: _g, ...scenario } = bundle;
    if (bundleId(cell, scenario) !== id) {
      results.push({ id, file, passed: false, reason: "content does not match the bundle id (edited?)", timings_ms: null });
      return { ok: false };
    }
    const image = (await findImage(engine, recorded.id)) ?? fallback;
    const gate = await gateScenario({ engine, image, sandbox: shell.sandbox, signal: ctx.signal }, cell, scenario, shell.gate_repeats);
    results.push({ id, file, passed: gate.passed, ...(gate.reason ? { reason: gate.reason } : {}), timings_ms: gate.timings_ms });
    if (!gate.passed) ctx.log.warn(`${id}: ${printable(gate.reason ?? "")}`);
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
