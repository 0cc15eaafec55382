import type { Cell, Scenario } from "./bundle.ts";

/** How varied a set of scenarios is, element by element: distinct values, and the most shared sentence. */
export interface Variety {
  announcement_templates: number;
  provider_bodies: number;
  rule_sentences: number;
  paths: number;
  /** The sentence found in the most scenarios, with the share of scenarios holding it. */
  top_sentence: { text: string; share: number };
}

type Item = { cell: Cell } & Pick<Scenario, "login_text" | "env" | "fixtures">;

const isTool = (f: Item["fixtures"][number]): boolean => f.type === "file" && (f.mode & 0o111) !== 0;

/** What a person can read: login text, env values, plain files, and the text a tool prints (its here-documents). */
function readable(b: Item): string[] {
  const docs = (script: string): string[] => [...script.matchAll(/<<'DOC'\n([\s\S]*?)\nDOC/g)].map((m) => m[1]!);
  return [b.login_text, ...Object.values(b.env), ...b.fixtures.flatMap((f) => (isTool(f) ? docs(f.content ?? "") : [f.content ?? ""]))];
}

/** Sentences of at least four words (a lone path is none): lines split after `.`, `!` or `?`. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/\n|(?<=[.!?])\s+/)
    .map((s) => s.trim().replace(/^[-*#=\s]+/, ""))
    .filter((s) => s.includes(" ") && (s.match(/[A-Za-z]{2,}/g) ?? []).length >= 4);
}

/** The text with the scenario's own names (paths, tools, numbers, variables) masked, leaving the template. */
function masked(text: string, names: Set<string>): string {
  return text
    .split(/(\s+)/)
    .map((w) => (/[/$\d]/.test(w) || names.has(w.replace(/[^\w.-]/g, "")) ? "<x>" : w))
    .join("")
    .trim();
}

function announcementText(b: Item): string {
  const home = b.fixtures.find((f) => f.owner === "op" && f.type === "file" && /^\/home\/op\/[^/]+$/.test(f.path));
  switch (b.cell.announcement) {
    case "motd":
      return b.fixtures.find((f) => f.path === "/var/run/motd")?.content ?? "";
    case "home_file":
      return home?.content ?? "";
    case "env_var":
      return Object.entries(b.env).find(([k, v]) => k !== "HOSTNAME" && !v.startsWith("/"))?.[1] ?? "";
    default:
      return b.login_text.split("\n").slice(-2).join("\n");
  }
}

/** Variety of builtin-shaped scenarios (any author's bundles work too; elements they lack count as one value). */
export function varietyOf(items: Item[]): Variety {
  const sets = { ann: new Set<string>(), body: new Set<string>(), rule: new Set<string>(), path: new Set<string>() };
  const count = new Map<string, number>();
  for (const b of items) {
    const names = new Set<string>([...Object.keys(b.env), b.env.HOSTNAME ?? "", ...b.fixtures.flatMap((f) => f.path.split("/"))]);
    sets.ann.add(masked(announcementText(b), names));
    for (const f of b.fixtures.filter(isTool)) sets.body.add(masked(f.content ?? "", names));
    const own = new Set(readable(b).flatMap(sentencesOf));
    for (const s of own) {
      count.set(s, (count.get(s) ?? 0) + 1);
      if (/\bpanic\b/.test(s)) sets.rule.add(s);
    }
    for (const f of b.fixtures) if (f.owner === "op" && f.path.split("/").length > 4) sets.path.add(f.path.slice(0, f.path.lastIndexOf("/")));
  }
  let top = { text: "", share: 0 };
  for (const [text, n] of count) if (n / Math.max(1, items.length) > top.share) top = { text, share: n / items.length };
  return { announcement_templates: sets.ann.size, provider_bodies: sets.body.size, rule_sentences: sets.rule.size, paths: sets.path.size, top_sentence: top };
}
