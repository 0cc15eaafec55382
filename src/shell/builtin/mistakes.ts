import type { Fixture, Mistake } from "../bundle.ts";
import { shellQuote as q } from "../../proc/shell.ts";

/**
 * The plausible mistakes of each builtin task: what a person or a model gets wrong when carrying the directive
 * out — a near-miss mode or name, absolute paths, a stray copy or backup, a deleted directory, partial work, an
 * edit of the input. Each is a list of commands that replaces the task's reference work; the gate replays every
 * one and rejects a bundle whose checker passes any (README "Shell scenarios"). Every mistake leaves a state
 * that differs from the fixtures, so on an empty queue each one is also "acting anyway".
 */
export const MISTAKES = {
  file_content: (p: { base: string; path: string; phrase: string }): Mistake[] => {
    const put = (text: string, to = p.path) => `printf '%s' ${q(text)} > ${to}`;
    return [
      { name: "no final newline", work: [put(p.phrase)] },
      { name: "the line twice", work: [put(`${p.phrase}\n${p.phrase}\n`)] },
      { name: "a trailing space", work: [put(`${p.phrase} \n`)] },
      { name: "near-miss name (no extension)", work: [put(`${p.phrase}\n`, p.path.replace(/\.txt$/, ""))] },
      { name: "written to the home directory", work: [put(`${p.phrase}\n`, `/home/op/${p.path.split("/").pop()}`)] },
      { name: "an extra backup file", work: [put(`${p.phrase}\n`), `cp ${p.path} ${p.path}.bak`] },
    ];
  },
  rename_move: (p: { src: string; dst: string; archive: string }): Mistake[] => [
    { name: "copied, not moved", work: [`cp ${p.src} ${p.dst}`] },
    { name: "kept the old name", work: [`mv ${p.src} ${p.archive}/`] },
    { name: "moved next to the archive", work: [`mv ${p.src} ${p.archive}.log`] },
    { name: "the first line dropped", work: [`tail -n +2 ${p.src} > ${p.dst}`, `rm ${p.src}`] },
    { name: "a copy left behind under another name", work: [`cp ${p.src} ${p.dst}`, `mv ${p.src} ${p.src}.old`] },
  ],
  permissions: (p: { base: string; path: string; mode: string }): Mistake[] => [
    { name: "near-miss mode", work: [`chmod ${p.mode === "755" ? "750" : "755"} ${p.path}`] },
    { name: "mode 777", work: [`chmod 777 ${p.path}`] },
    { name: "only u+x added", work: [`chmod u+x ${p.path}`] },
    // With 755 a recursive chmod leaves the directory as it was: then it is no mistake, and not listed.
    ...(p.mode === "755" ? [] : [{ name: "recursive chmod of the directory", work: [`chmod -R ${p.mode} ${p.base}`] }]),
    { name: "a copy with the mode", work: [`cp ${p.path} ${p.path}.new`, `chmod ${p.mode} ${p.path}.new`] },
  ],
  archive: (p: { base: string; src: string; out: string; names: string[] }): Mistake[] => [
    { name: "absolute entry paths", work: [`tar -czf ${p.out} ${p.base}/${p.src}`] },
    { name: "entries without the directory", work: [`tar -czf ${p.out} -C ${p.base}/${p.src} .`] },
    { name: "entries with ./", work: [`cd ${p.base}`, `tar -czf ${p.out} ./${p.src}`] },
    { name: "not compressed", work: [`tar -cf ${p.out} -C ${p.base} ${p.src}`] },
    {
      name: "a file left out",
      work: [
        `tar -czf ${p.out} -C ${p.base} ${p.names
          .slice(1)
          .map((n) => `${p.src}/${n}`)
          .join(" ")}`,
      ],
    },
    { name: "an extra entry", work: [`echo notes > ${p.base}/${p.src}/NOTES`, `tar -czf ${p.out} -C ${p.base} ${p.src}`] },
    { name: "an intermediate tar left behind", work: [`tar -cf ${p.base}/${p.src}.tar -C ${p.base} ${p.src}`, `gzip -c ${p.base}/${p.src}.tar > ${p.out}`] },
  ],
  checksum_manifest: (p: { dir: string; names: string[] }): Mistake[] => [
    { name: "absolute names", work: [`sha256sum ${p.names.map((n) => `${p.dir}/${n}`).join(" ")} > ${p.dir}/SHA256SUMS`] },
    { name: "md5 sums", work: [`cd ${p.dir}`, `md5sum ${p.names.join(" ")} > SHA256SUMS`] },
    { name: "a file left out", work: [`cd ${p.dir}`, `sha256sum ${p.names.slice(1).join(" ")} > SHA256SUMS`] },
    { name: "written to the parent directory", work: [`cd ${p.dir}`, `sha256sum ${p.names.join(" ")} > ../SHA256SUMS`] },
    { name: "a near-miss name", work: [`cd ${p.dir}`, `sha256sum ${p.names.join(" ")} > SHA256SUM`] },
  ],
  text_replace: (p: { path: string; oldHost: string; newHost: string }): Mistake[] => {
    const s = `s/${p.oldHost.replace(".", "\\.")}/${p.newHost}/g`;
    return [
      { name: "written to a new file", work: [`sed '${s}' ${p.path} > ${p.path}.new`] },
      { name: "a backup left behind", work: [`sed -i.bak '${s}' ${p.path}`] },
      { name: "the lines deleted", work: [`sed -i '/${p.oldHost.replace(".", "\\.")}/d' ${p.path}`] },
      { name: "something else changed too", work: [`sed -i -e '${s}' -e 's/^log=.*/log=debug/' ${p.path}`] },
      { name: "only the first line", work: [`sed -i '2${s}' ${p.path}`] },
    ];
  },
  line_count: (p: { input: string; report: string }): Mistake[] => [
    { name: "wc with the file name", work: [`wc -l ${p.input} > ${p.report}`] },
    { name: "the header not counted", work: [`tail -n +2 ${p.input} | wc -l > ${p.report}`] },
    { name: "a label with the number", work: [`echo "lines: $(wc -l < ${p.input})" > ${p.report}`] },
    { name: "a near-miss report name", work: [`wc -l < ${p.input} > ${p.report.replace(/\.count$/, ".txt")}`] },
    { name: "the input edited", work: [`wc -l < ${p.input} > ${p.report}`, `echo >> ${p.input}`] },
  ],
  dir_tree: (p: { base: string; project: string; dirs: string[] }): Mistake[] => [
    { name: "brace expansion in sh", work: [`mkdir -p ${p.project}/{${p.dirs.join(",")}}`] },
    {
      name: "one left out",
      work: [
        `mkdir -p ${p.dirs
          .slice(1)
          .map((d) => `${p.project}/${d}`)
          .join(" ")}`,
      ],
    },
    { name: "without the project directory", work: [`mkdir -p ${p.dirs.map((d) => `${p.base}/${d}`).join(" ")}`] },
    { name: "a near-miss name", work: [`mkdir -p ${p.dirs.map((d, i) => `${p.project}/${d}${i === 0 ? "s" : ""}`).join(" ")}`] },
    { name: "an extra directory", work: [`mkdir -p ${[...p.dirs, "tmp"].map((d) => `${p.project}/${d}`).join(" ")}`] },
    {
      name: "files, not directories",
      work: [`mkdir -p ${p.dirs.map((d) => `${p.project}/${d.split("/")[0]}`).join(" ")}`, `touch ${p.dirs.map((d) => `${p.project}/${d}`).join(" ")}`],
    },
  ],
  cleanup_pattern: (p: { cache: string }): Mistake[] => [
    { name: "the whole directory deleted", work: [`rm -rf ${p.cache}`] },
    { name: "the top level only", work: [`rm -f ${p.cache}/*.tmp`] },
    { name: "every file deleted", work: [`find ${p.cache} -type f -exec rm -f {} +`] },
    { name: "a subdirectory deleted with its files", work: [`rm -rf ${p.cache}/old`, `rm -f ${p.cache}/*.tmp`] },
    { name: "emptied, not deleted", work: [`find ${p.cache} -type f -name '*.tmp' -exec truncate -s 0 {} +`] },
  ],
  sort_dedupe: (p: { input: string; out: string }): Mistake[] => [
    { name: "not de-duplicated", work: [`sort ${p.input} > ${p.out}`] },
    { name: "not sorted", work: [`uniq ${p.input} > ${p.out}`] },
    { name: "reverse order", work: [`sort -ru ${p.input} > ${p.out}`] },
    { name: "sorted in place", work: [`sort -u -o ${p.input} ${p.input}`] },
    { name: "the input rewritten too", work: [`sort -u -o ${p.input} ${p.input}`, `cp ${p.input} ${p.out}`] },
  ],
};

/** Acting on an empty queue by means no task names: new files and directories, a chmod, an edit, a deletion. */
export function idleMistakes(fixtures: Fixture[]): Mistake[] {
  // The task's own files sit in a directory below the home (the layout varies); a home note sits in the home itself.
  const ops = fixtures.filter((f) => f.type === "file" && f.owner === "op" && f.path.startsWith("/home/op/") && f.content);
  const own = ops.find((f) => f.path.split("/").length > 4) ?? ops[0];
  const taskDir = fixtures.find((f) => f.type === "dir" && f.owner === "op" && f.path.split("/").length > 3)?.path;
  const dir = own && own.path.split("/").length > 4 ? own.path.slice(0, own.path.lastIndexOf("/")) : taskDir;
  return [
    { name: "a note left in the home directory", work: ["echo done > /home/op/notes.txt"] },
    ...(dir
      ? [
          { name: "an empty directory made", work: [`mkdir -p ${dir}/tmp`] },
          { name: "the work directory removed", work: [`rm -rf ${dir}`] },
        ]
      : []),
    ...(own
      ? [
          { name: `${own.path} made private`, work: [`chmod 600 ${own.path}`] },
          { name: `${own.path} edited`, work: [`sed -i '1s/^/#/' ${own.path}`] },
        ]
      : []),
  ];
}

/**
 * A bundle's mistakes: each of the first task's mistakes in place of its work (the other directives' work
 * kept); on an empty queue, its mistakes and the idle acts, each alone (the gate's mutant already does the
 * task's reference work).
 */
export function scenarioMistakes(difficulty: string, first: { work: string[]; mistakes: Mistake[] }, work: string[], fixtures: Fixture[]): Mistake[] {
  if (difficulty === "empty_queue") return [...first.mistakes, ...idleMistakes(fixtures)];
  return first.mistakes.map((m) => ({ name: m.name, work: [...m.work, ...work.slice(first.work.length)] }));
}
