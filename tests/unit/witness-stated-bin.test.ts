import { expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statedBin } from "../../src/witness/script.ts";
import { statedPrerequisites } from "../../src/witness/sections.ts";

test("--stated-path links only plain program names from the answer, each inside the run directory's bin", () => {
  const root = mkdtempSync(join(tmpdir(), "sekft-stated-"));
  const tools = join(root, "tools", "bin");
  mkdirSync(tools, { recursive: true });
  for (const f of ["gzip", "escape"]) writeFileSync(join(tools, f), "");
  // `tools/bin/../escape` exists too: a name that climbs would be found, and linked outside `bin`.
  writeFileSync(join(root, "tools", "escape"), "");
  const run = join(root, "run");
  mkdirSync(run);
  const bin = statedBin(run, ["witness", "gzip", "../escape", "../../escape", `${tools}/gzip`, ".hidden"], `/opt/witness:${tools}`);
  expect(bin).toBe(join(run, "bin"));
  expect(readdirSync(run)).toEqual(["bin"]);
  expect(readdirSync(root).sort()).toEqual(["run", "tools"]);
  expect(readlinkSync(join(bin, "gzip"))).toBe(join(tools, "gzip"));
  expect(existsSync(join(bin, ".hidden"))).toBe(false);
  // witness is always the one in PATH's first entry (the sandbox's /opt/witness), even where the host has none.
  expect(readlinkSync(join(bin, "witness"), "utf8")).toBe("/opt/witness/witness");
});

test("the prerequisite sentence reads back as the programs it names", () => {
  expect(statedPrerequisites("You need `witness`, `openssl` and `go` (plus POSIX utilities); run it in an empty directory.")).toEqual([
    ["witness", "openssl", "go"],
  ]);
  expect(statedPrerequisites("no sentence")).toEqual([]);
});
