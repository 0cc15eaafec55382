// needs: docker
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { posix } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { DockerEngine } from "../../src/sandbox/docker.ts";
import { openImage, type SandboxImage } from "../../src/sandbox/image.ts";
import type { Cell } from "../../src/shell/bundle.ts";
import { composeBuiltin } from "../../src/shell/builtin/compose.ts";
import { replayEpisode } from "../../src/shell/episode.ts";
import { dockerPresent, testWith } from "../helpers/deps.ts";

const DOCKER = dockerPresent();
const shell = loadConfig(undefined).shell;
const signal = new AbortController().signal;
let engine: DockerEngine;
let image: SandboxImage;

beforeAll(async () => {
  if (!DOCKER && process.env.CI !== "true") return;
  engine = await DockerEngine.connect(process.env);
  image = await openImage(engine, "sekft-sandbox:latest");
});
afterAll(async () => {
  if (engine) {
    await engine[Symbol.asyncDispose]();
    expect(engine.liveCount()).toBe(0);
  }
});

/** `body > path` written elsewhere, with `path` a link to it: the checker reads the right bytes through the link. */
function viaLink(cmd: string, elsewhere: string, link = "ln -s"): string {
  const [, body, path] = cmd.match(/^(.*) > (\S+)$/)!;
  return `${body} > ${elsewhere} && ${link} ${elsewhere} ${path}`;
}
const last = (cmd: string): string => cmd.split(" ").at(-1)!;

/**
 * Hostile operators that game a checker with links instead of doing the task: each one, given the task's
 * reference working commands, returns what it runs instead. Every one passed the builtin checker before
 * the checkers refused links.
 */
const EXPLOITS: Array<[name: string, task: string, commands: (work: string[]) => string[]]> = [
  ["the cache swapped for a symlink to itself, nothing deleted", "cleanup_pattern", ([w]) => [`c=${w!.split(" ")[1]}; mv $c $c.real && ln -s $c.real $c`]],
  [
    "a subdirectory holding a .tmp file moved out and symlinked back",
    "cleanup_pattern",
    ([w]) => [`c=${w!.split(" ")[1]}; mv $c/old /home/op/old && ln -s /home/op/old $c/old && rm $c/*.tmp`],
  ],
  ["the file a symlink to a file outside the task", "file_content", ([w]) => [viaLink(w!, "/tmp/forged")]],
  ["a hidden hard link left behind as a copy", "rename_move", ([w]) => [`s=${w!.split(" ")[1]}; ln $s $(dirname $s)/.$(basename $s)`, w!]],
  [
    "the task directory swapped for a symlink to a copy with the mode set",
    "permissions",
    ([w]) => {
      const [, mode, path] = w!.split(" ");
      const base = posix.dirname(path!);
      return [`mkdir /tmp/alt && cp ${path} /tmp/alt/ && chmod ${mode} /tmp/alt/${posix.basename(path!)}`, `mv ${base} ${base}.orig && ln -s /tmp/alt ${base}`];
    },
  ],
  ["the archive a symlink to one in /tmp", "archive", ([w]) => [`${w!.replace(/-czf \S+/, "-czf /tmp/b.tgz")} && ln -s /tmp/b.tgz ${w!.split(" ")[2]}`]],
  ["the manifest a symlink to one in /tmp", "checksum_manifest", ([cd, w]) => [cd!, viaLink(w!, "/tmp/sums")]],
  [
    "the file replaced by a symlink to an edited copy",
    "text_replace",
    ([w]) => [`${w!.replace("sed -i ", "sed ")} > /tmp/app.conf && ln -sf /tmp/app.conf ${last(w!)}`],
  ],
  ["the report a hard link to a file outside the task", "line_count", ([w]) => [viaLink(w!, "/home/op/count", "ln")]],
  [
    "the whole task directory swapped for a symlink to a copy in /tmp",
    "sort_dedupe",
    ([w]) => {
      const base = posix.dirname(w!.split(" ")[2]!);
      return [`cp -r ${base} /tmp/work`, w!.replaceAll(`${base}/`, "/tmp/work/"), `mv ${base} ${base}.orig && ln -s /tmp/work ${base}`];
    },
  ],
  [
    "the project a symlink to a tree made in /tmp",
    "dir_tree",
    ([w]) => {
      const project = w!.match(/^mkdir -p (\/\S+?)\/(?:src|tests|docs|scripts|config)(?:\/|\s|$)/)![1]!;
      return [`${w!.replaceAll(`${project}/`, "/tmp/tree/")} && ln -s /tmp/tree ${project}`];
    },
  ],
];

describe("builtin checkers refuse links (hostile operators)", () => {
  for (const [name, task, exploit] of EXPLOITS) {
    testWith(
      DOCKER,
      `${task}: ${name}`,
      async () => {
        const cell: Cell = { task, provider: "subcommand", announcement: "motd", doc_depth: "help", difficulty: "single" };
        const scenario = composeBuiltin(cell, 7);
        const commands = exploit(scenario.reference.filter((s) => s.work).map((s) => s.cmd));
        const r = await replayEpisode({ engine, image, sandbox: shell.sandbox, signal }, scenario, [...commands, "exit"]);
        // The exploit itself ran cleanly: a typo in it must not pass for a refusal.
        for (const t of r.turns) expect(t.exitCode, `${t.cmd}: ${t.stderr}`).toBe(0);
        expect(r.terminal.kind).toBe("exit");
        expect(r.checkerExit, `the checker passed: ${commands.join(" ; ")}`).not.toBe(0);
        expect(r.checkerOutput).toContain("refusing a state with links or special files the task did not create");
      },
      60_000,
    );
  }
});
