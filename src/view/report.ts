import type { RunContext } from "../context.ts";
import { writeFileAtomic } from "../dataset/jsonl.ts";
import { buildOverview } from "./overview.ts";
import { renderPage } from "./page.ts";

/** Writes the overview of DIR as one self-contained HTML file (no request leaves it), atomically. */
export async function writeReport(ctx: Pick<RunContext, "config">, root: string, out: string): Promise<void> {
  writeFileAtomic(out, renderPage("report", await buildOverview(root, ctx.config)));
}
