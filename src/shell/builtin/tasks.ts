import type { Fixture, Mistake } from "../bundle.ts";
import { MISTAKES } from "./mistakes.ts";
import { sameAs, treeIs } from "../checker.ts";
import type { Rng } from "../../rng.ts";
import { shellQuote as q } from "../../proc/shell.ts";

/** One instantiated task: its workspace, the directive that asks for it, how to do it, how to check it. */
export interface TaskInstance {
  fixtures: Fixture[];
  title: string;
  text: string;
  /** Reference working commands; the last one is essential (the gate drops it and expects a failure). */
  work: string[];
  /** Shell conditions that all hold once the task is done; each comes with the checker's failure message. */
  checks: Array<[cond: string, message: string]>;
  /** Plausible wrong ways to do it (`mistakes.ts`), each replacing `work`; the checks must reject every one. */
  mistakes: Mistake[];
}

type TaskTemplate = (rng: Rng, base: string) => TaskInstance;

const WORDS = [
  "amber",
  "basil",
  "cedar",
  "delta",
  "ember",
  "fjord",
  "garnet",
  "harbor",
  "indigo",
  "juniper",
  "kestrel",
  "lumen",
  "maple",
  "nectar",
  "onyx",
  "pepper",
  "quartz",
  "raven",
  "sable",
  "tundra",
];
const file = (path: string, content: string, mode = 0o644): Fixture => ({ path, type: "file", content, mode, owner: "op" });
const dir = (path: string): Fixture => ({ path, type: "dir", mode: 0o755, owner: "op" });
const lines = (rng: Rng, n: number): string => Array.from({ length: n }, (_, i) => `${i + 1},${rng.pick(WORDS)},${rng.int(10, 999)}`).join("\n") + "\n";

/** The ten builtin tasks; each writes only under its own base directory. */
export const TASKS: Record<string, TaskTemplate> = {
  file_content(rng, base) {
    const name = `${rng.pick(WORDS)}.txt`;
    const phrase = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.int(2, 99)}`;
    const path = `${base}/${name}`;
    return {
      fixtures: [dir(base)],
      title: `Create ${name}`,
      text: `Create the file ${path} containing exactly one line: ${phrase}`,
      work: [`printf '%s\\n' ${q(phrase)} > ${path}`],
      checks: [[`[ -f ${path} ]`, `${path} does not exist`], sameAs(path, `${phrase}\n`, `${path} does not hold exactly the line`), treeIs(base, [name])],
      mistakes: MISTAKES.file_content({ base, path, phrase }),
    };
  },
  rename_move(rng, base) {
    const [a, b] = rng.sample(WORDS, 2);
    const content = lines(rng, rng.int(3, 8));
    const src = `${base}/inbox/${a}.log`;
    const dst = `${base}/archive/${b}.log`;
    return {
      fixtures: [file(src, content), dir(`${base}/archive`)],
      title: `Archive ${a}.log`,
      text: `Move ${src} to ${dst} (the name changes too). ${rng.pick(["Do not leave a copy behind.", "Leave no copy at the old path.", "The old path must not remain.", "It is a move, not a copy.", "Nothing stays in the inbox."])}`,
      work: [`mv ${src} ${dst}`],
      checks: [
        [`[ ! -e ${src} ]`, `${src} is still there`],
        [`[ -f ${dst} ]`, `${dst} does not exist`],
        sameAs(dst, content, `${dst} is not the moved file`),
        treeIs(base, ["inbox", `archive/${b}.log`]),
      ],
      mistakes: MISTAKES.rename_move({ src, dst, archive: `${base}/archive` }),
    };
  },
  permissions(rng, base) {
    const name = `${rng.pick(WORDS)}.sh`;
    const path = `${base}/${name}`;
    const mode = rng.pick(["700", "750", "755", "711", "740"]);
    return {
      fixtures: [file(path, "#!/bin/sh\necho ok\n", 0o644)],
      title: `Set the mode of ${name}`,
      text: `Set the permissions of ${path} to exactly ${mode} (octal).`,
      work: [`chmod ${mode} ${path}`],
      checks: [
        [`[ "$(stat -c %a ${path})" = ${mode} ]`, `${path} does not have mode ${mode}`],
        [`[ "$(stat -c %a ${base})" = 755 ]`, `the mode of ${base} changed`],
        treeIs(base, [name]),
      ],
      mistakes: MISTAKES.permissions({ base, path, mode }),
    };
  },
  archive(rng, base) {
    const src = rng.pick(["site", "docs", "assets", "config"]);
    const names = rng.sample(WORDS, 3).map((w) => `${w}.txt`);
    const out = `${base}/${src}-backup.tar.gz`;
    const entries = names.map((n) => `${src}/${n}`).sort();
    return {
      fixtures: names.map((n) => file(`${base}/${src}/${n}`, lines(rng, 3))),
      title: `Back up ${src}/`,
      text: `Pack the directory ${base}/${src} into the gzip-compressed tar archive ${out}. Entries must be named ${src}/<file>.`,
      work: [`tar -czf ${out} -C ${base} ${src}`],
      checks: [
        [`tar -tzf ${out} >/dev/null 2>&1`, `${out} is not a readable tar.gz`],
        // Every entry, exactly: the directory itself may be listed; absolute, ./-prefixed or bare names are not.
        [
          `[ "$(tar -tzf ${out} | grep -vx ${q(`${src}/`)} | sort | tr '\\n' ' ')" = ${q(`${entries.join(" ")} `)} ]`,
          `${out} should hold exactly ${entries.join(", ")}`,
        ],
        treeIs(base, [`${src}-backup.tar.gz`, ...entries]),
      ],
      mistakes: MISTAKES.archive({ base, src, out, names }),
    };
  },
  checksum_manifest(rng, base) {
    const dirPath = `${base}/release`;
    const names = rng
      .sample(WORDS, 3)
      .map((w) => `${w}.bin`)
      .sort();
    return {
      fixtures: names.map((n) => file(`${dirPath}/${n}`, `${n}:${rng.int(1000, 99999)}\n`)),
      title: "Write a checksum manifest",
      text: `Write the SHA-256 checksums of every file in ${dirPath} to ${dirPath}/SHA256SUMS, in the format sha256sum prints (one line per file, names relative to that directory).`,
      work: [`cd ${dirPath}`, `sha256sum ${names.join(" ")} > SHA256SUMS`],
      checks: [
        [`[ -f ${dirPath}/SHA256SUMS ]`, `${dirPath}/SHA256SUMS does not exist`],
        [`(cd ${dirPath} && sha256sum -c SHA256SUMS >/dev/null 2>&1)`, "SHA256SUMS does not verify"],
        // The names as sha256sum prints them when run in the directory: an absolute path also verifies, so -c is not enough.
        [
          `[ "$(sed -E 's/^[0-9a-f]{64}  //' ${dirPath}/SHA256SUMS | sort | tr '\\n' ' ')" = ${q(`${names.join(" ")} `)} ]`,
          `SHA256SUMS should name exactly ${names.join(", ")}, relative to ${dirPath}`,
        ],
        treeIs(base, ["release/SHA256SUMS", ...names.map((n) => `release/${n}`)]),
      ],
      mistakes: MISTAKES.checksum_manifest({ dir: dirPath, names }),
    };
  },
  text_replace(rng, base) {
    const [a, b] = rng.sample(WORDS, 2);
    const oldHost = `${a}.internal`;
    const newHost = `${b}.internal`;
    const path = `${base}/app.conf`;
    const content = `name=${rng.pick(WORDS)}\nhost=${oldHost}\nport=${rng.int(1024, 9999)}\nreplica=${oldHost}\nlog=info\n`;
    return {
      fixtures: [file(path, content)],
      title: "Repoint the app",
      text: `In ${path}, replace every occurrence of ${oldHost} with ${newHost}. Change nothing else.`,
      work: [`sed -i 's/${oldHost.replace(".", "\\.")}/${newHost}/g' ${path}`],
      checks: [
        [`! grep -qF ${q(oldHost)} ${path}`, `${path} still mentions ${oldHost}`],
        sameAs(path, content.replaceAll(oldHost, newHost), `${path} was not edited as asked (only ${oldHost} may change)`),
        treeIs(base, ["app.conf"]),
      ],
      mistakes: MISTAKES.text_replace({ path, oldHost, newHost }),
    };
  },
  line_count(rng, base) {
    const name = rng.pick(WORDS);
    const n = rng.int(4, 40);
    const data = lines(rng, n);
    const input = `${base}/data/${name}.csv`;
    const report = `${base}/reports/${name}.count`;
    return {
      fixtures: [file(input, data), dir(`${base}/reports`)],
      title: `Count ${name}.csv`,
      text: `Write the number of lines in ${input} to ${report} (just the number).`,
      work: [`wc -l < ${input} > ${report}`],
      checks: [
        [`[ -f ${report} ] && [ "$(sed 's/^ *//; s/ *$//' ${report})" = ${n} ]`, `${report} does not hold ${n}`],
        sameAs(input, data, `${input} was changed`),
        treeIs(base, [`data/${name}.csv`, `reports/${name}.count`]),
      ],
      mistakes: MISTAKES.line_count({ input, report }),
    };
  },
  dir_tree(rng, base) {
    const projectName = rng.pick(WORDS);
    const project = `${base}/${projectName}`;
    const dirs = rng.sample(["src/lib", "src/bin", "tests/unit", "tests/e2e", "docs/api", "scripts", "config/env"], 3).sort();
    return {
      fixtures: [dir(base)],
      title: "Lay out a project",
      text: `Create these directories under ${project}: ${dirs.join(", ")} (with any missing parents).`,
      work: [`mkdir -p ${dirs.map((d) => `${project}/${d}`).join(" ")}`],
      checks: [
        ...dirs.map((d): [string, string] => [`[ -d ${project}/${d} ]`, `${project}/${d} is missing`]),
        treeIs(
          base,
          dirs.map((d) => `${projectName}/${d}`),
        ),
      ],
      mistakes: MISTAKES.dir_tree({ base, project, dirs }),
    };
  },
  cleanup_pattern(rng, base) {
    const cache = `${base}/cache`;
    const tmp = rng.sample(WORDS, 3).map((w, i) => (i === 2 ? `${cache}/old/${w}.tmp` : `${cache}/${w}.tmp`));
    const keep = rng.sample(WORDS, 2).map((w) => `${cache}/${w}.keep`);
    return {
      fixtures: [...tmp, ...keep].map((p) => file(p, `${p}\n`)),
      title: "Clear temporary files",
      text: `Delete every file ending in .tmp anywhere under ${cache} (subdirectories too). Keep everything else.`,
      work: [`find ${cache} -type f -name '*.tmp' -exec rm -f {} +`],
      checks: [
        [`[ -z "$(find ${cache} -name '*.tmp')" ]`, `.tmp files remain under ${cache}`],
        ...keep.map((p): [string, string] => [`[ -f ${p} ]`, `${p} was deleted`]),
        treeIs(base, ["cache/old", ...keep.map((p) => p.slice(base.length + 1))]),
      ],
      mistakes: MISTAKES.cleanup_pattern({ cache }),
    };
  },
  sort_dedupe(rng, base) {
    const name = rng.pick(["hosts", "users", "tags", "owners"]);
    const picked = rng.sample(WORDS, 5);
    const items = rng.shuffle([...picked, ...rng.sample(picked, 3)]);
    const input = `${base}/${name}.txt`;
    const out = `${base}/${name}.sorted`;
    const expected = [...new Set(items)].sort().join("\n");
    return {
      fixtures: [file(input, `${items.join("\n")}\n`)],
      title: `Sort the ${name} list`,
      text: `Sort the lines of ${input}, drop duplicate lines, and write the result to ${out}.`,
      work: [`sort -u ${input} > ${out}`],
      checks: [
        [`[ -f ${out} ] && [ "$(cat ${out})" = ${q(expected)} ]`, `${out} is not the sorted, de-duplicated list`],
        sameAs(input, `${items.join("\n")}\n`, `${input} was changed`),
        treeIs(base, [`${name}.txt`, `${name}.sorted`]),
      ],
      mistakes: MISTAKES.sort_dedupe({ input, out }),
    };
  },
};
