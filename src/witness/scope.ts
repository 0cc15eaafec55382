import type { AttestorConfig, WitnessConfig } from "../config/witness-schema.ts";

// The scope a question binds its answer to (issue 21): which steps may run a command, what a "minimal" question
// allows, and the one attestor an answer about something else needs.

/** Whether a question template asks for the smallest answer: it has one of `words` as a whole word, in any case. */
export function isMinimal(template: string, words: readonly string[]): boolean {
  const lower = template.toLowerCase();
  return words.some((w) => new RegExp(`(^|[^a-z-])${w.toLowerCase()}($|[^a-z-])`).test(lower));
}

/** The scope a question template binds its answer to: minimal (one step, fewest attestors), and whether it has Rego rules. */
export function templateScope(template: string, words: readonly string[]): { minimal: boolean; rules: boolean } {
  return { minimal: isMinimal(template, words), rules: template.includes("{rules}") };
}

/** The steps (of `steps`) a command may run under, in the order given. */
export function stepsFor(command: string, steps: readonly string[], table: Record<string, string[]>): string[] {
  return steps.filter((s) => Object.hasOwn(table, s) && table[s]!.includes(command));
}

/**
 * The one attestor an answer that is about something else adds with `-a` (without one, witness runs its defaults,
 * environment and git): `environment`, which needs nothing set up, else the first of `chosen` (attestor ids) without a setup.
 */
export function bareAttestor(chosen: readonly string[], cfg: WitnessConfig): string | undefined {
  const usable = (a: AttestorConfig | undefined): a is AttestorConfig =>
    a !== undefined && a.setup === "none" && !a.flags.length && !cfg.excluded_attestors.includes(a.name);
  const env = cfg.attestors.find((a) => a.name === "environment");
  if (usable(env)) return env.id ?? env.name;
  const own = chosen.map((id) => cfg.attestors.find((a) => (a.id ?? a.name) === id)).find((a) => usable(a) && a.name !== "system-packages");
  return own ? (own.id ?? own.name) : undefined;
}
