import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

// ARCHITECTURE.md's rule "imports point downwards only", checked on every import of src/: static, type-only and
// dynamic. The layers are read from the fenced block under "## Layers"; each line is one layer, top first.

const ROOT = resolve(import.meta.dir, "../..");
const SRC = join(ROOT, "src");

function layers(): string[][] {
  const text = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
  const section = text.slice(text.indexOf("## Layers"));
  const block = section.slice(section.indexOf("```\n") + 4, section.indexOf("\n```", section.indexOf("```\n") + 4));
  return block.split("\n").map((line) => line.split(/\s+/).filter((w) => w.startsWith("src/")));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The repo-relative `src/...` files a source file imports (relative specifiers only; packages and node: are outside). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms),
    ...text.matchAll(/^\s*import\s+"([^"]+)"/gm),
    ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith(".") && s.endsWith(".ts"))
    .map((s) => relative(ROOT, resolve(dirname(file), s)))
    .filter((p) => p.startsWith("src/"));
}

/** The room a file belongs to, as ARCHITECTURE.md names it: `src/x.ts` or `src/<dir>/`. */
function roomOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : file;
}

const LAYERS = layers();
const rank = new Map(LAYERS.flatMap((rooms, i) => rooms.map((r) => [r, i] as const)));
const FILES = sources(SRC).map((f) => relative(ROOT, f));
const GRAPH = new Map(FILES.map((f) => [f, importsOf(join(ROOT, f))]));

describe("layers", () => {
  test("the block names every room of src/ once", () => {
    const named = LAYERS.flat();
    expect(new Set(named).size).toBe(named.length);
    expect([...new Set(FILES.map(roomOf))].filter((r) => !rank.has(r)).sort()).toEqual([]);
    expect(named.filter((r) => !FILES.some((f) => roomOf(f) === r))).toEqual([]);
  });

  test("every import points to its own layer or one below", () => {
    const upward = [...GRAPH].flatMap(([from, tos]) => tos.filter((to) => rank.get(roomOf(to))! < rank.get(roomOf(from))!).map((to) => `${from} -> ${to}`));
    expect(upward).toEqual([]);
  });

  test("no circle, between files or between rooms", () => {
    const circles = (edges: Map<string, Set<string>>): string[][] => {
      // Tarjan's strongly connected components; any of more than one node is a circle.
      let next = 0;
      const index = new Map<string, number>();
      const low = new Map<string, number>();
      const stack: string[] = [];
      const on = new Set<string>();
      const out: string[][] = [];
      const visit = (v: string): void => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        on.add(v);
        for (const w of edges.get(v) ?? []) {
          if (!index.has(w)) {
            visit(w);
            low.set(v, Math.min(low.get(v)!, low.get(w)!));
          } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
        if (low.get(v) === index.get(v)) {
          const scc: string[] = [];
          let w: string;
          do {
            w = stack.pop()!;
            on.delete(w);
            scc.push(w);
          } while (w !== v);
          if (scc.length > 1) out.push(scc.sort());
        }
      };
      for (const v of edges.keys()) if (!index.has(v)) visit(v);
      return out;
    };
    const files = new Map([...GRAPH].map(([f, tos]) => [f, new Set(tos)]));
    const rooms = new Map<string, Set<string>>();
    for (const [from, tos] of GRAPH) {
      const set = rooms.get(roomOf(from)) ?? new Set<string>();
      for (const to of tos) if (roomOf(to) !== roomOf(from)) set.add(roomOf(to));
      rooms.set(roomOf(from), set);
    }
    expect(circles(files)).toEqual([]);
    expect(circles(rooms)).toEqual([]);
  });

  test("the checker sees a back-arrow and a circle when there is one", () => {
    // The registry loads the tracks; a track importing the registry would be an arrow up and a circle.
    expect(rank.get("src/tracks.ts")!).toBeLessThan(rank.get("src/witness/")!);
    expect(GRAPH.get("src/tracks.ts")).toContain("src/witness/track.ts");
    expect(importsOf(join(ROOT, "src/witness/track.ts"))).not.toContain("src/tracks.ts");
  });
});
