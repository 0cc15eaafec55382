import type { ProjectConfig } from "../config/witness-schema.ts";

/** A package as an SBOM lists it: read from a project's own files, never made up. */
export interface Pkg {
  name: string;
  version: string;
  /** An SPDX license id, or NOASSERTION when the files declare none. */
  license: string;
  purl: string;
}

/** What an SBOM of a project lists: its own package, its dependencies (from the lockfile) and where both were read. */
export interface ProjectPackages {
  self: Pkg;
  dependencies: Pkg[];
  /** The files they were read from, for the answer's prose (`package.json` and `package-lock.json`). */
  from: string[];
}

const field = (text: string, key: string): string | undefined =>
  new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, "m").exec(text)?.[1] ?? new RegExp(`^${key}\\s*=\\s*\\{\\s*text\\s*=\\s*"([^"]*)"`, "m").exec(text)?.[1];

/** `[[package]]` name/version pairs of a TOML lockfile (Cargo.lock, poetry.lock). */
function tomlPackages(text: string): { name: string; version: string }[] {
  return text
    .split(/^\[\[package\]\]$/m)
    .slice(1)
    .map((block) => ({ name: field(block, "name") ?? "", version: field(block, "version") ?? "" }))
    .filter((p) => p.name !== "");
}

/** The license the project's files declare: its manifest's field, else an `SPDX-License-Identifier:` line in a file. */
function declaredLicense(project: ProjectConfig, manifest?: string): string {
  if (manifest) return manifest;
  for (const text of Object.values(project.files)) {
    const m = /SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+)/.exec(text);
    if (m) return m[1]!;
  }
  return "NOASSERTION";
}

/**
 * The packages an SBOM of `project` lists, read from its manifest and lockfile the way an SBOM generator reads them:
 * npm (`package.json`, `package-lock.json`), Cargo, a Python `pyproject.toml` with `poetry.lock`, a Go module
 * (`go.mod`, `go.sum`), CMake's `project()`. A project with none of these is one package named after the project,
 * at the release version the example commits (1.0.0).
 */
export function projectPackages(project: ProjectConfig): ProjectPackages {
  const f = project.files;
  if (f["package.json"] !== undefined) {
    const pj = JSON.parse(f["package.json"]) as { name: string; version: string; license?: string };
    const lock = f["package-lock.json"] ? (JSON.parse(f["package-lock.json"]) as { packages?: Record<string, { version?: string }> }) : {};
    const deps = Object.entries(lock.packages ?? {})
      .filter(([path]) => path.startsWith("node_modules/"))
      .map(([path, p]) => npm(path.slice(path.lastIndexOf("node_modules/") + 13), p.version ?? "", "NOASSERTION"));
    return { self: npm(pj.name, pj.version, declaredLicense(project, pj.license)), dependencies: deps, from: present(f, "package.json", "package-lock.json") };
  }
  if (f["Cargo.toml"] !== undefined) {
    const name = field(f["Cargo.toml"], "name") ?? project.name;
    const version = field(f["Cargo.toml"], "version") ?? "1.0.0";
    const deps = tomlPackages(f["Cargo.lock"] ?? "").filter((p) => p.name !== name);
    const pkg = (n: string, v: string, l: string): Pkg => ({ name: n, version: v, license: l, purl: `pkg:cargo/${n}@${v}` });
    return {
      self: pkg(name, version, declaredLicense(project, field(f["Cargo.toml"], "license"))),
      dependencies: deps.map((d) => pkg(d.name, d.version, "NOASSERTION")),
      from: present(f, "Cargo.toml", "Cargo.lock"),
    };
  }
  if (f["pyproject.toml"] !== undefined) {
    const pkg = (n: string, v: string, l: string): Pkg => ({ name: n, version: v, license: l, purl: `pkg:pypi/${n}@${v}` });
    const py = f["pyproject.toml"];
    return {
      self: pkg(field(py, "name") ?? project.name, field(py, "version") ?? "1.0.0", declaredLicense(project, field(py, "license"))),
      dependencies: tomlPackages(f["poetry.lock"] ?? "").map((d) => pkg(d.name, d.version, "NOASSERTION")),
      from: present(f, "pyproject.toml", "poetry.lock"),
    };
  }
  if (f["go.mod"] !== undefined) {
    const mod = /^module\s+(\S+)/m.exec(f["go.mod"])?.[1] ?? project.name;
    const deps = (f["go.sum"] ?? "")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((w) => w.length === 3 && !w[1]!.endsWith("/go.mod"))
      .map(([n, v]) => ({ name: n!, version: v!, license: "NOASSERTION", purl: `pkg:golang/${n}@${v}` }));
    return {
      self: { name: mod, version: "1.0.0", license: declaredLicense(project), purl: `pkg:golang/${mod}@v1.0.0` },
      dependencies: deps,
      from: present(f, "go.mod", "go.sum"),
    };
  }
  const cmake = f["CMakeLists.txt"] !== undefined ? /project\(\s*([A-Za-z0-9_.-]+)/.exec(f["CMakeLists.txt"])?.[1] : undefined;
  const name = cmake ?? project.name;
  return {
    self: { name, version: "1.0.0", license: declaredLicense(project), purl: `pkg:generic/${name}@1.0.0` },
    dependencies: [],
    from: cmake ? ["CMakeLists.txt"] : [],
  };
}

const npm = (name: string, version: string, license: string): Pkg => ({ name, version, license, purl: `pkg:npm/${name}@${version}` });
const present = (files: Record<string, string>, ...names: string[]): string[] => names.filter((n) => files[n] !== undefined);
