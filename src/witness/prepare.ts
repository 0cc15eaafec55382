import type { WitnessConfig } from "../config/witness-schema.ts";
import type { RunContext } from "../context.ts";
import { ConfigError, DependencyError } from "../errors.ts";
import { runProcess } from "../proc/run.ts";
import { removeStaleTempDirs } from "../proc/temp.ts";
import { loadCatalog, type Catalog } from "./catalog.ts";
import { locateWitness, PACKAGE_TOOLS, WITNESS_HINT, WITNESS_VERSION, which } from "./locate.ts";
import { scriptPath } from "./script.ts";
import { familyPlugin } from "./families.ts";
import { FAMILIES, type Dimensions } from "./spec.ts";

/** Everything a witness run needs that comes from the machine rather than the config. */
export interface WitnessSetup {
  witness: string;
  catalog: Catalog;
  scriptEnv: { path: string; home: string };
  dims: Dimensions;
  tools: Record<string, string>;
}

function requireTool(name: string, path: string | undefined, who = "every witness example uses it"): void {
  if (!which(name, path))
    throw new DependencyError(
      `${name} is not on PATH`,
      `Install it (apt-get install ${name}, brew install ${name}); ${who}. \`sekft doctor\` lists everything missing.`,
    );
}

/** PATH without its entries under HOME (none dropped when HOME is unset or `/`). */
export function pathOutsideHome(path: string, home: string | undefined): string {
  if (!home || home === "/") return path;
  const root = home.replace(/\/+$/, "");
  return path
    .split(":")
    .filter((d) => d && d !== root && !d.startsWith(`${root}/`))
    .join(":");
}

/** Finds witness, asks it for its attestors, probes each command's tool, and builds the sampler's dimensions. */
export async function prepareWitness(ctx: RunContext, now = new Date()): Promise<WitnessSetup> {
  const cfg = ctx.config.witness;
  const witness = locateWitness(ctx.env, cfg.witness_bin);
  if (!witness) {
    throw new DependencyError(`witness ${WITNESS_VERSION} not found`, WITNESS_HINT);
  }
  const stale = removeStaleTempDirs();
  if (stale) ctx.log.info(`removed ${stale} temp dir(s) left by killed sekft runs`);
  // Scripts see only the tools `sekft verify` will see: it hides HOME, so PATH entries under it are left out here too.
  const hostPath = ctx.env.PATH ?? "/usr/bin:/bin";
  const visiblePath = pathOutsideHome(hostPath, ctx.env.HOME);
  requireTool("openssl", visiblePath);
  requireTool("git", visiblePath);
  const inspecting = (cfg.families.inspect?.weight ?? 0) > 0;
  if (inspecting) requireTool("jq", visiblePath, "inspect examples (witness.families.inspect) decode attestations with it");
  checkHorizon(cfg, now);
  const scriptEnv = { path: scriptPath(witness, visiblePath), home: ctx.env.HOME ?? "/tmp" };
  const env = { PATH: scriptEnv.path, HOME: scriptEnv.home };
  const catalog = await loadCatalog(witness, env, ctx.signal);

  const attestors = cfg.attestors.filter((a, i) => {
    if (!catalog.types[a.name])
      throw new ConfigError(`witness.attestors[${i}].name: "${a.name}" is not an attestor of ${witness} (see \`witness attestors list\`)`);
    if (cfg.offline_only && cfg.excluded_attestors.includes(a.name)) {
      ctx.log.warn(`skipping attestor ${a.name}: it cannot succeed offline (witness.excluded_attestors)`);
      return false;
    }
    if (a.name === "system-packages" && !PACKAGE_TOOLS.some((t) => which(t, visiblePath))) {
      ctx.log.warn(`skipping attestor ${a.name}: witness runs ${PACKAGE_TOOLS.join(" or ")} for it, and neither is on PATH`);
      return false;
    }
    if (catalog.types[a.name]!.alwaysRun) {
      ctx.log.warn(`skipping attestor ${a.name}: witness always runs it, listing it is not a choice`);
      return false;
    }
    return true;
  });
  const names = new Set(attestors.map((a) => a.name));
  cfg.rego.forEach((r, i) => {
    if (!catalog.types[r.attestor]) throw new ConfigError(`witness.rego[${i}].attestor: "${r.attestor}" is not an attestor of witness`);
  });
  const rego = cfg.rego.filter((r) => catalog.types[r.attestor]!.alwaysRun || names.has(r.attestor));
  cfg.commands.forEach((c, i) => {
    if (!cfg.projects.some((p) => p.name === c.project)) throw new ConfigError(`witness.commands[${i}].project: no project named "${c.project}"`);
  });

  const probes = new Map<string, boolean>();
  await Promise.all(
    [...new Set(cfg.commands.map((c) => c.probe))].map(async (probe) => {
      const r = await runProcess(["sh", "-c", probe], { env, timeoutMs: 60_000, signal: ctx.signal });
      probes.set(probe, r.exitCode === 0);
    }),
  );
  const commands = cfg.commands.filter((c) => probes.get(c.probe));
  reportSkippedCommands(
    ctx,
    cfg.commands.filter((c) => !probes.get(c.probe)),
    visiblePath,
    hostPath,
  );
  if (!commands.length) throw new DependencyError("no witness command can run on this machine", "Install at least one of the configured build tools.");

  const tools: Record<string, string> = { witness: catalog.version };
  const versions: [string, string[]][] = [
    ["openssl", ["openssl", "version"]],
    ["git", ["git", "--version"]],
  ];
  if (inspecting) versions.push(["jq", ["jq", "--version"]]);
  for (const [name, argv] of versions) {
    const r = await runProcess([...argv], { env, timeoutMs: 10_000 });
    tools[name] = r.stdout.trim();
  }
  return {
    witness,
    catalog,
    scriptEnv,
    tools,
    dims: {
      steps: cfg.steps,
      questions: cfg.questions,
      attestors,
      commands,
      rego,
      keyTypes: cfg.key_types,
      projectsWithLockfile: new Set(cfg.projects.filter((p) => p.lockfile).map((p) => p.name)),
      min: Math.min(cfg.min_attestors, attestors.length),
      max: Math.min(cfg.max_attestors, attestors.length),
      maxRules: cfg.max_rules,
      paraphrases: cfg.paraphrases_per_answer,
      chainShare: cfg.chain_share,
      chainSteps: cfg.chain_steps,
      stepCommands: cfg.step_commands,
      minimalWords: cfg.minimal_words,
      families: FAMILIES.map((name) => ({
        name,
        weight: cfg.families[name]?.weight ?? 0,
        questions: name === "attest" ? cfg.questions.length : (familyPlugin(name)?.questions(cfg).length ?? 0),
      })),
    },
  };
}

/** One warning per missing tool, naming the commands left out for it (a bare machine lacks most build tools). */
function reportSkippedCommands(ctx: RunContext, skipped: WitnessConfig["commands"], visiblePath: string, hostPath: string): void {
  const byTool = new Map<string, string[]>();
  for (const c of skipped) byTool.set(c.tool, [...(byTool.get(c.tool) ?? []), c.name]);
  for (const [tool, names] of byTool) {
    const hidden = !which(tool, visiblePath) && which(tool, hostPath);
    const what = `skipping command${names.length > 1 ? "s" : ""} ${names.join(", ")}`;
    if (hidden) ctx.log.warn(`${what}: ${tool} is only under HOME (${hidden}), which \`sekft verify\` hides; install it system-wide to use it`);
    else ctx.log.warn(`${what}: ${tool} does not work here (\`${skipped.find((c) => c.tool === tool)!.probe}\` failed)`);
  }
}

/** A policy must outlive the configured horizon: refuse a config whose expiry is too soon. */
export function checkHorizon(cfg: WitnessConfig, now: Date): void {
  const expires = Date.parse(cfg.policy_expires);
  const needed = now.getTime() + cfg.policy_horizon_days * 86_400_000;
  if (expires < needed) {
    throw new ConfigError(
      `witness.policy_expires: ${cfg.policy_expires} is less than witness.policy_horizon_days (${cfg.policy_horizon_days}) days from now`,
      "Examples would expire soon after they are made; choose a later date.",
    );
  }
}
