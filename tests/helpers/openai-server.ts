/** A reply the fake server turns into an OpenAI chat completion (or an error status with that body). */
export interface FakeReply {
  content: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  status?: number;
  headers?: Record<string, string>;
  finish_reason?: string;
}

/** Decides the answer to request number `n` (1-based); a raw Response is sent as is. */
export type FakeHandler = (body: any, req: Request, n: number) => Response | FakeReply | Promise<Response | FakeReply>;

/** A running fake server. */
export interface FakeOpenAI {
  /** base_url, ending in /v1. */
  url: string;
  /** Parsed bodies of every chat completion request, in arrival order. */
  requests: any[];
  /** Authorization headers received, in arrival order. */
  authorizations: (string | null)[];
  /** Most requests in flight at the same time. */
  readonly maxInFlight: number;
  /** How many `GET /v1/models` requests arrived (the preflight). */
  readonly modelListings: number;
  close(): Promise<void>;
}

export interface FakeOptions {
  /**
   * What `GET /v1/models` lists: model ids, or null for a server without the route (404, so the preflight asks for
   * one token through the handler). Default: an empty list, which names nothing and lets any model pass.
   */
  models?: string[] | null;
}

/** The OpenAI-compatible stand-in (the only one allowed in tests): real HTTP on 127.0.0.1, a free port. */
export async function startFakeOpenAI(handler: FakeHandler, opts: FakeOptions = {}): Promise<FakeOpenAI> {
  const requests: any[] = [];
  const authorizations: (string | null)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let modelListings = 0;
  const models = opts.models === undefined ? [] : opts.models;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === "GET" && path === "/v1/models" && models !== null) {
        modelListings++;
        return Response.json({ object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) });
      }
      if (req.method !== "POST" || path !== "/v1/chat/completions") {
        return Response.json({ error: { message: `no route ${req.method} ${path}`, type: "not_found" } }, { status: 404 });
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        const body = await req.json();
        requests.push(body);
        authorizations.push(req.headers.get("authorization"));
        const reply = await handler(body, req, requests.length);
        return reply instanceof Response ? reply : completion(reply, body);
      } finally {
        inFlight--;
      }
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests,
    authorizations,
    get maxInFlight() {
      return maxInFlight;
    },
    get modelListings() {
      return modelListings;
    },
    async close() {
      await server.stop(true);
    },
  };
}

function completion(reply: FakeReply, body: any): Response {
  const status = reply.status ?? 200;
  const headers = { "content-type": "application/json", ...reply.headers };
  if (status >= 400) {
    return new Response(JSON.stringify({ error: { message: reply.content, type: "fake_error", code: status } }), { status, headers });
  }
  const prompt = reply.usage?.prompt_tokens ?? 0;
  const done = reply.usage?.completion_tokens ?? 0;
  return new Response(
    JSON.stringify({
      id: `chatcmpl-fake-${crypto.randomUUID()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body?.model ?? "fake",
      choices: [{ index: 0, message: { role: "assistant", content: reply.content }, finish_reason: reply.finish_reason ?? "stop", logprobs: null }],
      usage: { prompt_tokens: prompt, completion_tokens: done, total_tokens: prompt + done },
    }),
    { status, headers },
  );
}

/** A handler result that never arrives until the client gives up (for timeout tests). */
export function hangUntilClientLeaves(req: Request): Promise<Response> {
  return new Promise((resolve) => {
    req.signal.addEventListener("abort", () => resolve(new Response("gone", { status: 499 })), { once: true });
  });
}
