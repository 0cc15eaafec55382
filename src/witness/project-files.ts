import type { CommandConfig, ProjectConfig } from "../config/witness-schema.ts";
import { projectPackages } from "./manifests.ts";

/**
 * The project files an example writes, in the project's order: those its command reads (`files`; every file when it
 * names none), the lockfile when the lockfiles attestor runs, and the manifest and lockfile an SBOM says it was read
 * from. Nothing else: a file no program of the example reads only makes the answer longer.
 */
export function usedFiles(project: ProjectConfig, cmd: CommandConfig, setups: ReadonlySet<string>): string[] {
  const need = new Set(cmd.files ?? Object.keys(project.files));
  if (setups.has("lockfile") && project.lockfile) need.add(project.lockfile);
  if (setups.has("sbom-spdx") || setups.has("sbom-cyclonedx")) for (const f of projectPackages(project).from) need.add(f);
  return Object.keys(project.files).filter((f) => need.has(f));
}

/** The project as the example writes it: only its used files. */
export function usedProject(project: ProjectConfig, cmd: CommandConfig, setups: ReadonlySet<string>): ProjectConfig {
  return { ...project, files: Object.fromEntries(usedFiles(project, cmd, setups).map((f) => [f, project.files[f]!])) };
}
