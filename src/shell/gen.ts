import { availableParallelism } from "node:os";
import type { RunContext } from "../context.ts";
import { resolveApiKey } from "../llm/client.ts";
import { modelSpend, TokenLedger } from "../llm/ledger.ts";
import { createLimiter } from "../llm/limiter.ts";
import { checkEndpoint } from "../llm/preflight.ts";
import { endRun, type ItemContext, partialOf, runLoop, writesPartial } from "../run/loop.ts";
import { KEPT, NO_VERDICT, type Outcome, type Reject, rejectFromText } from "../run/outcome.ts";
import type { GenOptions, GenSummary } from "../track-types.ts";
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
  const terminals = { exit: 0, panic: 0, empty: 0 };
  const authorName = model ? `model:${shell.teacher.model}` : "builtin";
  let teacherError: string | undefined;

  // Every failed attempt is a reject: those before a cell's last through `ic.reject`, the last as the cell's outcome.
  const gateCell = async ([index, cell]: [number, Cell], ic: ItemContext): Promise<Outcome> => {
    const tries = model ? 1 : BUILTIN_TRIES;
    const signal = ic.signal;
    const episodes = { ...episodeEnv, signal };
    const fail = (attempt: number, reject: Reject): Outcome | undefined => {
      if (attempt + 1 >= tries) return { kind: "rejected", reject };
      ic.reject(reject);
      return undefined;
    };
    for (let attempt = 0; attempt < tries; attempt++) {
      if (signal.aborted || ic.gaveUp()) return NO_VERDICT;
      const authored: Authored = model
        ? await authorWithModel(cell, { ...ctx, signal }, store, limiter, ledger)
        : authorBuiltin(cell, opts.seed * 1_000_003 + index, attempt, ctx);
      if (!authored.ok) {
        if (signal.aborted) return NO_VERDICT;
        if (model) teacherError = authored.reason;
        store.reject({ cell, author: authorName, stage: "author", reason: authored.reason });
        const out = fail(attempt, rejectFromText(authored.reason));
        if (out) return out;
        continue;
      }
      if (store.holdsSecret(authored.scenario)) {
        store.reject({ cell, author: authorName, stage: "validate", reason: "leak: the bundle contains the API key" });
        const out = fail(attempt, { kind: "leak", detail: "the bundle contains the API key" });
        if (out) return out;
        continue;
      }
      const id = bundleId(cell, authored.scenario);
      const before = store.admitted(id);
      if (before === "yes") return KEPT; // resumed: this exact bundle was admitted before
      if (before === "edited") ctx.log.warn(`${store.dir}/${id}.json does not match its id (edited?): it is gated again, not reused`);
      const gate = await gateScenario(episodes, cell, authored.scenario, shell.gate_repeats);
      // A gate cut short by the stop is no verdict on the scenario: the next run gates it again.
      if (signal.aborted) return NO_VERDICT;
      if (!gate.passed) {
        store.reject({ cell, author: authorName, stage: "gate", reason: gate.reason ?? "gate failed", id });
        ctx.log.debug(`reject ${id}: ${printable(gate.reason ?? "")}`);
        const out = fail(attempt, rejectFromText(gate.reason ?? "gate failed"));
        if (out) return out;
        continue;
      }
      store.write({ schema: BUNDLE_SCHEMA_VERSION, id, cell, author: authored.author, image, ...authored.scenario, gate });
      return KEPT;
    }
    return NO_VERDICT;
  };

  const gateAndCount = async (item: [number, Cell], ic: ItemContext): Promise<Outcome> => {
    const outcome = await gateCell(item, ic);
    const cell = item[1];
    if (outcome.kind === "kept") {
      if (cell.difficulty === "empty_queue") terminals.empty++;
      else if (shell.difficulties[cell.difficulty]?.terminal === "panic") terminals.panic++;
      else terminals.exit++;
    }
    return outcome;
  };
  const run = await runLoop(ctx, cells.values(), gateAndCount, {
    label: "shell",
    words: ["kept", "given up"],
    total: cells.length,
    counts: "all",
    workers,
    giveUp: { after: ctx.config.run.give_up_after, share: ctx.config.run.give_up_share },
  });
  const { kept, rejected } = run;

  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const summary = `shell: kept ${kept}/${opts.count} bundles (exit ${terminals.exit}, empty-queue ${terminals.empty}, panic ${terminals.panic}), ${rejected} rejected, in ${secs}s${model && ledger.entries.length ? `; ${modelSpend(ledger.totals())}` : ""} → ${store.dir}`;
  // A tick only for a run that kept what it was asked for.
  if (kept === opts.count) ctx.log.success(summary);
  else ctx.log.warn(summary);
  // The endpoint named from the config (its credentials cut), whatever the client's own error says.
  const teacherNote = model && teacherError ? `; the teacher at ${endpointName(shell.teacher.base_url)} last failed: ${printable(teacherError)}` : "";
  const wrote = writesPartial(run);
  const partial = partialOf(run, ctx.maxTime);
  if (wrote)
    store.writeManifest({ config: ctx.config, seed: opts.seed, requested: opts.count, shard, counts: { kept, rejected, ...terminals }, image, partial });
  endRun(
    run,
    {
      label: "shell",
      kept,
      count: opts.count,
      noun: "bundles",
      shortfall: "passed authoring and the gate",
      note: teacherNote,
      rejectsHint: `See ${opts.out}/shell/rejects.jsonl for every reason.`,
    },
    ctx.maxTime,
    wrote,
  );
  return { kept, rejected };
}
