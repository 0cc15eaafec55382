import { createHash } from "node:crypto";
import pageModule from "./page.html" with { type: "text" };
import type { Overview } from "./overview.ts";

// Imported as text (bundled into the binary); Bun's types describe an HTML import as a bundle, hence the cast.
const page = pageModule as unknown as string;
const script = /<script>([\s\S]*)<\/script>/.exec(page)![1]!;
const scriptHash = createHash("sha256").update(script).digest("base64");

/**
 * The policy both forms carry: only our own script (by hash) runs, and nothing is fetched but the viewing
 * server's API — a report file may fetch nothing at all.
 */
export function policyOf(mode: "server" | "report"): string {
  const connect = mode === "server" ? "'self'" : "'none'";
  return `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}; base-uri 'none'; form-action 'none'`;
}

/** The page; with an overview embedded (JSON with `<` escaped, so no string can close the element) it needs no server. */
export function renderPage(mode: "server" | "report", overview?: Overview): string {
  const data = overview
    ? JSON.stringify(overview)
        .replace(/</g, "\\u003c")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029")
    : "";
  const csp = `<meta http-equiv="Content-Security-Policy" content="${policyOf(mode)}">`;
  const withCsp = page.replace("<!--CSP-->", () => csp);
  return data ? withCsp.replace('id="sekft-data">null<', () => `id="sekft-data">${data}<`) : withCsp;
}
