import { z } from "zod";

const Name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "a lower-case name: letters, digits, '.', '_' or '-'");
// Configured text reaches the answer's script. What lands in script lines outside here-documents (paths, flags) keeps to
// a character set the shell reads literally; what the prose quotes stays on one line, so it can never open or close a
// fence (the fences decide what the script is); file contents and Rego modules are data in quoted here-documents.
const Line = z.string().regex(/^[^\n\r\0]*$/, "a single line (it is quoted in the answer's prose)");
const NoNul = z.string().refine((s) => !s.includes("\0"), "must not contain a NUL byte (a shell script cannot write one)");
const RelPath = z
  .string()
  .regex(
    /^(?!(?:.*\/)?\.\.?(?:\/|$))[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.-]+)*$/,
    "a relative path: names of letters, digits, '_', '.' or '-' joined by '/', without '.' or '..'",
  );
const Flag = z.string().regex(/^--?[A-Za-z0-9][A-Za-z0-9-]*(?:=[A-Za-z0-9_.:/@,+=-]*)?$/, "a flag: --name or --name=value (letters, digits, _.:/@,+=-)");
const EnvMap = z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name"), Line);

/** One witness attestor: its name as `witness attestors list` prints it, and the setup it needs. */
export const AttestorSchema = z.strictObject({
  name: Name,
  id: Name.optional().describe("distinguishes two entries of one attestor with different setups; defaults to name"),
  setup: z
    .enum(["none", "git", "lockfile", "maven", "sbom-spdx", "sbom-cyclonedx", "sarif", "secret", "docker", "oci", "vex", "ci", "k8s"])
    .default("none")
    .describe("what the script must create before `witness run` so the attestor succeeds offline"),
  flags: z.array(Flag).default([]).describe("extra `witness run` flags this attestor needs"),
  ci: z.string().optional().describe("name of the [witness.ci_mocks] table whose variables the run exports"),
  group: z.string().optional().describe("attestors sharing a group never run together (e.g. several read the same JSON product)"),
  sole_json_product: z.boolean().default(false).describe("reads the first JSON product it finds, so no other JSON product may exist"),
  projects: z.array(Name).optional().describe("the only projects it fits (maven: a Java project); absent: every project"),
  explain: Line.min(1).describe("one sentence for the answer text"),
});

/** A small project a command builds; files are written by the answer script itself. */
export const ProjectSchema = z.strictObject({
  name: Name,
  kind: Line.min(1).describe('how questions name the project, e.g. "Go module"'),
  files: z.record(RelPath, NoNul).describe("path -> content; the script writes each content byte for byte"),
  lockfile: RelPath.optional().describe("a lockfile witness's lockfiles attestor recognises, if the project has one"),
});

/** A build/test/package command that really runs offline, with the project it needs. */
export const CommandSchema = z.strictObject({
  name: Name,
  project: Name,
  files: z
    .array(RelPath)
    .min(1)
    .optional()
    .describe("the project files the command reads: the script writes only these, plus what its attestors read; absent: every file"),
  run: Line.min(1).describe("the command line (code by design); run through sh -c, quoted, when it uses shell syntax"),
  artifact: RelPath.describe("a file the command creates or changes: the verify subject"),
  tool: z.string().min(1).describe("the program that must be on PATH; the command is skipped with a warning otherwise"),
  probe: z.string().min(1).describe("a harmless command that succeeds only when the tool works"),
  kind: z.enum(["build", "test", "package"]),
  json_products: z.boolean().default(false).describe("the build itself writes JSON files (e.g. cargo's target/)"),
});

/** A Rego template for one attestor, and the script edit that must make it deny. */
export const RegoSchema = z.strictObject({
  name: Name,
  attestor: Name,
  message: Line.min(1).describe("the deny message, also the phrase looked for when the mutation runs"),
  module: NoNul.min(1).describe("Rego v1 text (`import rego.v1`); {{placeholders}} are filled from the spec"),
  mutation: z.strictObject({
    find: z.string().min(1),
    replace: z.string(),
    explain: Line.min(1),
  }),
  requires_setup: z.string().optional().describe("an attestor setup the example must include for this rule"),
  prelude: z.array(z.string()).default([]).describe("script lines run before `witness run` (for example an export)"),
});

// Defaults live only in the embedded config.toml; entries of a list keep their per-field defaults here.
/** `verify --sandbox` containers: limits and the host paths mounted read-only. */
export const VerifySandboxSchema = z.strictObject({
  memory_mb: z.number().int().min(64).max(65_536),
  pids_limit: z.number().int().min(16).max(65_536),
  cpus: z.number().positive().max(256),
  tmpfs_mb: z.number().int().min(16).max(65_536),
  mounts: z.array(z.string().regex(/^\/[^:]*$/, "an absolute path without ':'")),
  build_caches: z.boolean(),
});

/** An answer's length budget in o200k_base tokens (`gen` refuses a longer answer before running it). */
const Budget = z.number().int().min(16).max(1_000_000);
const FamilyBudget = Budget.optional().describe("this family's answer budget in tokens, at most witness.max_answer_tokens (which applies without it)");

const OwnQuestions = z.strictObject({
  weight: z.number().min(0).max(1_000),
  questions: z.array(z.string().min(1)).min(1),
  max_answer_tokens: FamilyBudget,
});

/** A family of questions: its share of the examples and, unless it uses `witness.questions`, its own templates. */
export const FamiliesSchema = z.strictObject({
  attest: z.strictObject({
    weight: z.number().min(0).max(1_000).describe("relative share; its questions are witness.questions"),
    max_answer_tokens: FamilyBudget,
  }),
  troubleshoot: z.strictObject({
    weight: z.number().min(0).max(1_000),
    questions: z.array(z.string().min(1)).min(1).describe("{script} (the broken script) and {error} (what witness printed) are filled in"),
    max_answer_tokens: FamilyBudget,
  }),
  inspect: OwnQuestions.optional(),
  policy: OwnQuestions.optional(),
  pipeline: OwnQuestions.optional(),
});

export const WitnessSchema = z
  .strictObject({
    count: z.number().int().min(1).max(1_000_000),
    valid_share: z.number().min(0).max(0.5),
    paraphrases_per_answer: z.number().int().min(1).max(1_000),
    policy_expires: z.iso.datetime({ offset: true }),
    policy_horizon_days: z.number().int().min(1).max(36_500),
    min_attestors: z.number().int().min(1).max(64),
    max_attestors: z.number().int().min(0).max(64),
    max_rules: z.number().int().min(0).max(64),
    chain_share: z.number().min(0).max(1).describe("share of examples (with git) that add a second, linked step"),
    chain_steps: z.array(Name).min(2).describe("names for the second step"),
    max_answer_tokens: Budget.describe("an answer longer than this (o200k_base tokens) is rejected as too-long before it runs"),
    timeout_s: z.number().positive().max(86_400, "at most 86400 (a day)"),
    witness_bin: z.string().describe("path to witness; empty = $SEKFT_WITNESS, the setup cache, then PATH"),
    offline_only: z.boolean(),
    excluded_attestors: z.array(Name),
    key_types: z.array(z.enum(["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-3072"])).min(1),
    system_prompt: z.string().min(1),
    steps: z.array(Name).min(1),
    questions: z.array(z.string().min(1)).min(1),
    minimal_words: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z-]*$/, "a word: letters and '-'"))
      .describe("a question template with one of these words asks for the smallest answer"),
    step_commands: z.record(Name, z.array(Name).min(1)).describe("step name -> the commands a step of that name may run"),
    families: FamiliesSchema,
    attestors: z.array(AttestorSchema).min(1),
    projects: z.array(ProjectSchema).min(1),
    commands: z.array(CommandSchema).min(1),
    rego: z.array(RegoSchema),
    ci_mocks: z.record(Name, EnvMap),
    sandbox: VerifySandboxSchema,
  })
  .superRefine((w, ctx) => {
    if (w.min_attestors > w.max_attestors) {
      ctx.addIssue({
        code: "custom",
        path: ["min_attestors"],
        message: `min_attestors (${w.min_attestors}) is greater than max_attestors (${w.max_attestors})`,
      });
    }
    for (const message of stepCommandProblems(w)) ctx.addIssue({ code: "custom", path: ["step_commands"], message });
    w.commands.forEach((c, i) => {
      const files = w.projects.find((p) => p.name === c.project)?.files;
      for (const f of (files && c.files) ?? []) {
        if (!Object.hasOwn(files!, f))
          ctx.addIssue({ code: "custom", path: ["commands", i, "files"], message: `${c.name}: project ${c.project} has no file ${f}` });
      }
      if (c.files && new Set(c.files).size !== c.files.length)
        ctx.addIssue({ code: "custom", path: ["commands", i, "files"], message: `${c.name}: a file is named twice` });
    });
    // An attestor's `projects` may name projects this config does not have: a config that replaces the projects keeps
    // the default attestors, and an attestor none of whose projects is here is simply never drawn.
  });

/**
 * What is wrong with `witness.step_commands`: a step of `steps` without an entry, a command under no step. An entry
 * may name steps or commands the config does not have (a config that replaces the commands keeps the default entries).
 */
export function stepCommandProblems(w: { steps: string[]; commands: { name: string }[]; step_commands: Record<string, string[]> }): string[] {
  const out: string[] = [];
  for (const step of w.steps) if (!Object.hasOwn(w.step_commands, step)) out.push(`step "${step}" has no entry, so it could run no command`);
  const listed = new Set(Object.values(w.step_commands).flat());
  for (const c of w.commands) if (!listed.has(c.name)) out.push(`command "${c.name}" is listed under no step, so no example could run it`);
  return out;
}

export type WitnessConfig = z.infer<typeof WitnessSchema>;
export type AttestorConfig = z.infer<typeof AttestorSchema>;
export type ProjectConfig = z.infer<typeof ProjectSchema>;
export type CommandConfig = z.infer<typeof CommandSchema>;
export type RegoConfig = z.infer<typeof RegoSchema>;
