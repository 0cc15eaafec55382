import { availableParallelism } from "node:os";
import type { RunContext } from "../context.ts";
import { InterruptedError, WorkFailedError } from "../errors.ts";
import { resolveApiKey } from "../llm/client.ts";
import { modelSpend, TokenLedger } from "../llm/ledger.ts";
import { createLimiter } from "../llm/limiter.ts";
import { checkEndpoint } from "../llm/preflight.ts";
import { GiveUp } from "../pool/give-up.ts";
import { runPool } from "../pool/pool.ts";
import type { GenOptions, GenSummary } from "../track-types.ts";
import { Progress, type Tally } from "../ui/progress.ts";
import { DockerEngine, engineOptions } from "../sandbox/docker.ts";
import { openImage } from "../sandbox/image.ts";
import { BUNDLE_SCHEMA_VERSION, bundleId, type Cell } from "./bundle.ts";
import { authorBuiltin, authorWithModel, type Authored } from "./authoring.ts";
import { gateScenario } from "./gate.ts";
import { checkBuiltinCoverage, planCells } from "./plan.ts";
import { configDigest } from "../dataset/manifest.ts";
import { shardLabel, startOver } from "../dataset/run-journal.ts";
import { join } from "node:path";
import { BundleStore, shellIdentity } from "./store.ts";
import { printable } from "../ui/format.ts";
import { endpointName } from "../llm/chat.ts";

// A builtin cell that fails its gate gets a few other variants before the run gives it up.
const BUILTIN_TRIES = 3;

/** `sekft gen --track shell`: plan cells, author each, admit it through the gate, write bundles and rejects. */
export async function genShell(ctx: RunContext, opts: GenOptions): Promise<GenSummary> {
  const shell = ctx.config.shell;
  const model = opts.author === "model";
  if (!model) checkBuiltinCoverage(shell);
  // Before anything is touched: a dead endpoint or an unknown model fails now, not as a run of rejects.
  if (model) await checkEndpoint(ctx, shell.teacher, "teacher");
  const ledger = new TokenLedger();
  const shard = opts.shard;
  // Plan the whole job, then keep this shard's share, so shards together keep the planned balance.
  // Each cell keeps its index in the whole plan: it seeds the cell's variants, so a shard authors what the unsharded run would.
  const cells = planCells(shell, opts.count * shard.total, opts.seed)
    .map((cell, i): [number, Cell] => [i, cell])
    .filter(([i]) => i % shard.total === shard.index);
  if (opts.force) startOver(join(opts.out, "shell"));
  // Claim the directory before any container starts: another run's bundles are refused, not mixed in.
  using store = new BundleStore(
    opts.out,
    shellIdentity({ config_digest: configDigest(ctx.config), seed: opts.seed, shard: shardLabel(shard), author: opts.author }),
    model ? resolveApiKey(shell.teacher, ctx.env) : null,
  );
  await using engine = await DockerEngine.connect(ctx.env, engineOptions(ctx));
  const reaped = await engine.reapOrphans();
  if (reaped > 0) ctx.log.info(`reaped ${reaped} container(s) left by a crashed run`);
  const image = await openImage(engine, shell.image, () => ctx.log.info(`building the sandbox image offline (no ${shell.image} yet)`));
  const limiter = createLimiter(shell.teacher.concurrency);
  const episodeEnv = { engine, image, sandbox: shell.sandbox, signal: ctx.signal };
  const workers = opts.workers > 0 ? opts.workers : availableParallelism();
  const started = performance.now();
  let kept = 0;
  let rejected = 0;
  const terminals = { exit: 0, panic: 0, empty: 0 };
  const giveUp = new GiveUp({ after: ctx.config.run.give_up_after, share: ctx.config.run.give_up_share });
  const authorName = model ? `model:${shell.teacher.model}` : "builtin";
  let teacherError: string | undefined;

  const gateCell = async ([index, cell]: [number, Cell]): Promise<boolean> => {
    const tries = model ? 1 : BUILTIN_TRIES;
    for (let attempt = 0; attempt < tries; attempt++) {
      if (ctx.signal.aborted) throw new InterruptedError();
      if (giveUp.verdict) return false;
      const authored: Authored = model
        ? await authorWithModel(cell, ctx, store, limiter, ledger)
        : authorBuiltin(cell, opts.seed * 1_000_003 + index, attempt, ctx);
      if (!authored.ok) {
        rejected++;
        if (model) teacherError = authored.reason;
        giveUp.record(false, authored.reason);
        store.reject({ cell, author: authorName, stage: "author", reason: authored.reason });
        continue;
      }
      if (store.holdsSecret(authored.scenario)) {
        rejected++;
        giveUp.record(false, "leak");
        store.reject({ cell, author: authorName, stage: "validate", reason: "leak: the bundle contains the API key" });
        continue;
      }
      const id = bundleId(cell, authored.scenario);
      const before = store.admitted(id);
      if (before === "yes") return true; // resumed: this exact bundle was admitted before
      if (before === "edited") ctx.log.warn(`${store.dir}/${id}.json does not match its id (edited?): it is gated again, not reused`);
      const gate = await gateScenario(episodeEnv, cell, authored.scenario, shell.gate_repeats);
      if (!gate.passed) {
        rejected++;
        giveUp.record(false, gate.reason);
        store.reject({ cell, author: authorName, stage: "gate", reason: gate.reason ?? "gate failed", id });
        ctx.log.debug(`reject ${id}: ${printable(gate.reason ?? "")}`);
        continue;
      }
      store.write({ schema: BUNDLE_SCHEMA_VERSION, id, cell, author: authored.author, image, ...authored.scenario, gate });
      giveUp.record(true);
      return true;
    }
    return false;
  };

  const progress = new Progress("shell", cells.length, { tty: ctx.tty, words: ["kept", "given up"] });
  const gateAndCount = async (item: [number, Cell]): Promise<Tally> => {
    const ok = await gateCell(item);
    const cell = item[1];
    if (ok) {
      kept++;
      if (cell.difficulty === "empty_queue") terminals.empty++;
      else if (shell.difficulties[cell.difficulty]?.terminal === "panic") terminals.panic++;
      else terminals.exit++;
    }
    return { ok };
  };
  await runPool(cells.values(), gateAndCount, { workers, signal: ctx.signal, onEvent: progress.onEvent, more: () => !giveUp.verdict });
  progress.end();
  if (ctx.signal.aborted) throw new InterruptedError();

  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const summary = `shell: kept ${kept}/${opts.count} bundles (exit ${terminals.exit}, empty-queue ${terminals.empty}, panic ${terminals.panic}), ${rejected} rejected, in ${secs}s${model && ledger.entries.length ? `; ${modelSpend(ledger.totals())}` : ""} → ${store.dir}`;
  // A tick only for a run that kept what it was asked for.
  if (kept === opts.count) ctx.log.success(summary);
  else ctx.log.warn(summary);
  // The endpoint named from the config (its credentials cut), whatever the client's own error says.
  const teacherNote = model && teacherError ? `; the teacher at ${endpointName(shell.teacher.base_url)} last failed: ${printable(teacherError)}` : "";
  store.writeManifest({ config: ctx.config, seed: opts.seed, requested: opts.count, shard, counts: { kept, rejected, ...terminals }, image });
  if (giveUp.verdict) {
    throw new WorkFailedError(
      `shell: gave up after ${giveUp.verdict}: kept ${kept} of ${opts.count}; top reasons: ${printable(giveUp.topReasons())}${teacherNote}`,
      `See ${opts.out}/shell/rejects.jsonl for every reason.`,
    );
  }
  if (kept < opts.count) {
    throw new WorkFailedError(
      `shell: only ${kept} of ${opts.count} bundles passed authoring and the gate${teacherNote}`,
      `See ${opts.out}/shell/rejects.jsonl for every reason.`,
    );
  }
  return { kept, rejected };
}
