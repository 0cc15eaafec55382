import { createHash } from "node:crypto";
import type { Fixture } from "../bundle.ts";
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
const md5 = (s: string): string => createHash("md5").update(s).digest("hex");
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
      checks: [
        [`[ -f ${path} ]`, `${path} does not exist`],
        [`[ "$(cat ${path})" = ${q(phrase)} ] && [ "$(wc -c < ${path})" -eq ${Buffer.byteLength(phrase) + 1} ]`, `${path} does not hold exactly the line`],
      ],
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
        [`[ -f ${dst} ] && [ "$(md5sum < ${dst} | cut -d' ' -f1)" = ${md5(content)} ]`, `${dst} is missing or changed`],
      ],
    };
  },
  permissions(rng, base) {
    const path = `${base}/${rng.pick(WORDS)}.sh`;
    const mode = rng.pick(["700", "750", "755", "711", "740"]);
    return {
      fixtures: [file(path, "#!/bin/sh\necho ok\n", 0o644)],
      title: `Set the mode of ${path.split("/").pop()}`,
      text: `Set the permissions of ${path} to exactly ${mode} (octal).`,
      work: [`chmod ${mode} ${path}`],
      checks: [[`[ "$(stat -c %a ${path})" = ${mode} ]`, `${path} does not have mode ${mode}`]],
    };
  },
  archive(rng, base) {
    const src = rng.pick(["site", "docs", "assets", "config"]);
    const names = rng.sample(WORDS, 3).map((w) => `${w}.txt`);
    const out = `${base}/${src}-backup.tar.gz`;
    return {
      fixtures: names.map((n) => file(`${base}/${src}/${n}`, lines(rng, 3))),
      title: `Back up ${src}/`,
      text: `Pack the directory ${base}/${src} into the gzip-compressed tar archive ${out}. Entries must be named ${src}/<file>.`,
      work: [`tar -czf ${out} -C ${base} ${src}`],
      checks: [
        [`tar -tzf ${out} >/dev/null 2>&1`, `${out} is not a readable tar.gz`],
        ...names.map((n): [string, string] => [`tar -tzf ${out} | grep -qE '(^|/)${src}/${n.replace(".", "\\.")}$'`, `${out} lacks ${src}/${n}`]),
      ],
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
        [`[ "$(grep -c . ${dirPath}/SHA256SUMS)" -eq ${names.length} ]`, `SHA256SUMS should list ${names.length} files`],
      ],
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
        [`[ "$(grep -cF ${q(newHost)} ${path})" -eq 2 ] && [ "$(wc -l < ${path})" -eq 5 ]`, `${path} was not edited as asked`],
      ],
    };
  },
  line_count(rng, base) {
    const name = rng.pick(WORDS);
    const n = rng.int(4, 40);
    const input = `${base}/data/${name}.csv`;
    const report = `${base}/reports/${name}.count`;
    return {
      fixtures: [file(input, lines(rng, n)), dir(`${base}/reports`)],
      title: `Count ${name}.csv`,
      text: `Write the number of lines in ${input} to ${report} (just the number).`,
      work: [`wc -l < ${input} > ${report}`],
      checks: [[`[ -f ${report} ] && [ "$(tr -d ' \\n' < ${report})" = ${n} ]`, `${report} does not hold ${n}`]],
    };
  },
  dir_tree(rng, base) {
    const project = `${base}/${rng.pick(WORDS)}`;
    const dirs = rng.sample(["src/lib", "src/bin", "tests/unit", "tests/e2e", "docs/api", "scripts", "config/env"], 3).sort();
    return {
      fixtures: [dir(base)],
      title: "Lay out a project",
      text: `Create these directories under ${project}: ${dirs.join(", ")} (with any missing parents).`,
      work: [`mkdir -p ${dirs.map((d) => `${project}/${d}`).join(" ")}`],
      checks: dirs.map((d): [string, string] => [`[ -d ${project}/${d} ]`, `${project}/${d} is missing`]),
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
      ],
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
      checks: [[`[ -f ${out} ] && [ "$(cat ${out})" = ${q(expected)} ]`, `${out} is not the sorted, de-duplicated list`]],
    };
  },
};
