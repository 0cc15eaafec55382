import { statSync } from "node:fs";
import type { RunContext } from "../context.ts";
import { resolveInside } from "../files.ts";
import { Catalog, type ItemQuery, KINDS, type Kind } from "./items.ts";
import { buildOverview, type Overview } from "./overview.ts";
import { policyOf, renderPage } from "./page.ts";
import { Scans } from "./scans.ts";

export interface ViewOptions {
  root: string;
  port: number;
  /** Called with the URL once the server listens. */
  onListening(url: string): void;
}

// CORP: no other origin may embed a response (an <img> or <script> of another site cannot read the data).
const SECURITY = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "cross-origin-resource-policy": "same-origin",
};
const json = (body: unknown, status = 200) => Response.json(body, { status, headers: SECURITY });
const refuse = (status: number, why: string) => new Response(why, { status, headers: { ...SECURITY, "content-type": "text/plain; charset=utf-8" } });

/** The request handler of `sekft view` over one directory (exported for the benchmark). */
export function createHandler(root: string, ctx: Pick<RunContext, "config">): (req: Request) => Promise<Response> {
  // The overview and the browsers share their reads: the line index that counts a split is the one pages are cut from.
  const scans = new Scans();
  const catalog = new Catalog(root, scans);
  // Started at once, so the figures are ready (or nearly) by the time a browser asks for them — on the next turn
  // of the event loop, so the server listens (and prints its URL) before the first chunks are read.
  const overview: Promise<Overview> = new Promise((resolve) => setImmediate(resolve)).then(() => buildOverview(root, ctx.config, scans));
  // The browsers' rows are read once the figures are out, so they never delay the overview; a page asked for
  // sooner awaits the same reads.
  overview.then(
    () => catalog.prefetch(),
    () => undefined,
  );
  const html = renderPage("server");
  return async (req) => {
    const url = new URL(req.url);
    if (req.method !== "GET") return refuse(405, "only GET");
    try {
      if (url.pathname === "/")
        return new Response(html, { headers: { ...SECURITY, "content-type": "text/html; charset=utf-8", "content-security-policy": policyOf("server") } });
      if (url.pathname === "/api/overview") return json(await overview);
      const kind = url.searchParams.get("kind") as Kind;
      if (url.pathname === "/api/items" || url.pathname === "/api/item") {
        if (!KINDS.includes(kind)) return refuse(400, `kind must be one of ${KINDS.join(", ")}`);
        if (url.pathname === "/api/item") {
          const item = await catalog.get(kind, url.searchParams.get("id") ?? "");
          return item ? json(item) : refuse(404, "no such item");
        }
        const p = url.searchParams;
        const query: ItemQuery = {
          offset: Math.max(0, Number(p.get("offset")) || 0),
          limit: Math.min(500, Math.max(1, Number(p.get("limit")) || 50)),
          q: p.get("q") || undefined,
          split: p.get("split") || undefined,
          outcome: p.get("outcome") || undefined,
          dim: p.get("dim") || undefined,
        };
        return json(await catalog.list(kind, query));
      }
      if (url.pathname.startsWith("/raw/")) {
        // The raw files of the directory (manifests, JSONL) as plain text; the path is checked after decoding.
        const key = decodePath(url.pathname.slice("/raw/".length));
        if (key === undefined) return refuse(400, "bad percent-encoding in the path");
        const file = resolveInside(root, key);
        if (!file.ok || !file.exists || !statSync(file.path).isFile()) return refuse(403, "outside the viewed directory, or not a file");
        return new Response(Bun.file(file.path), {
          headers: { ...SECURITY, "content-type": "text/plain; charset=utf-8", "content-security-policy": "default-src 'none'" },
        });
      }
      return refuse(404, "not found");
    } catch (error) {
      return refuse(500, (error as Error).message);
    }
  };
}

/** A URL path segment decoded, or undefined when its percent-encoding is malformed (`/raw/%`). */
function decodePath(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * Whether a request's Host header names this loopback server: `127.0.0.1`, `localhost` or `[::1]` with the port
 * it listens on. A page that rebinds its own DNS name to 127.0.0.1 sends its name (DNS rebinding) and is refused.
 */
export function isLoopbackHost(host: string | null, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/** Serves DIR on loopback until the run's signal aborts (Ctrl-C). */
export async function serveView(ctx: RunContext, opts: ViewOptions): Promise<void> {
  const handle = createHandler(opts.root, ctx);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: opts.port,
    // Checked before any path, the page included: the port is the one bound, not the one asked for (0 = any).
    fetch: (req, srv) => (isLoopbackHost(req.headers.get("host"), srv.port ?? opts.port) ? handle(req) : refuse(421, "misdirected request: unknown Host")),
  });
  opts.onListening(server.url.href);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.stop(true);
}
