import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandMount } from "../../src/sandbox/verify-box.ts";

test("a mount entry with * in its last component names the matching entries, sorted; others stay as written", () => {
  const dir = mkdtempSync(join(tmpdir(), "sekft-mounts-"));
  for (const d of ["java-17-openjdk", "java-21-openjdk", "javascript", "x.y1"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "xzy1"), "");
  expect(expandMount(`${dir}/java-*`)).toEqual([`${dir}/java-17-openjdk`, `${dir}/java-21-openjdk`]);
  // Only * is special: a dot is a dot.
  expect(expandMount(`${dir}/x.y*`)).toEqual([`${dir}/x.y1`]);
  expect(expandMount(`${dir}/none-*`)).toEqual([]);
  expect(expandMount(`${dir}/missing/java-*`)).toEqual([]);
  expect(expandMount("/usr")).toEqual(["/usr"]);
  rmSync(dir, { recursive: true, force: true });
});
