import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireNeed } from "./needs.ts";

export const CHROMIUM = "/usr/bin/chromium";

type Listener = (params: any) => void;

/** Headless Debian chromium driven over the DevTools protocol (Bun's WebSocket; nothing downloaded). */
export class Browser implements AsyncDisposable {
  private id = 0;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private listeners: { method: string; fn: Listener }[] = [];
  session = "";

  private constructor(
    private proc: ReturnType<typeof Bun.spawn>,
    private ws: WebSocket,
    private profile: string,
  ) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message}`));
        else p?.resolve(msg.result);
      } else for (const l of this.listeners) if (l.method === msg.method) l.fn(msg.params);
    };
  }

  static async launch(): Promise<Browser> {
    requireNeed("browser");
    const profile = mkdtempSync(join(tmpdir(), "sekft-chromium-"));
    const proc = Bun.spawn(
      [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    if (!url) throw new Error(`chromium gave no DevTools URL: ${text.slice(-500)}`);
    // Keep draining stderr so chromium never blocks on a full pipe.
    void (async () => {
      while (!(await reader.read()).done);
    })();
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const browser = new Browser(proc, ws, profile);
    const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" }, "");
    browser.session = (await browser.send("Target.attachToTarget", { targetId, flatten: true }, "")).sessionId;
    await browser.send("Page.enable");
    await browser.send("Runtime.enable");
    return browser;
  }

  send(method: string, params: object = {}, session = this.session): Promise<any> {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  on(method: string, fn: Listener): void {
    this.listeners.push({ method, fn });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const l = { method: "Page.loadEventFired", fn: () => resolve() };
      this.listeners.push(l);
    });
    await this.send("Page.navigate", { url });
    await loaded;
  }

  async eval<T = any>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`page threw: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`);
    return r.result.value as T;
  }

  /** Polls an expression until it is truthy. */
  async waitFor(expression: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await this.eval<boolean>(`Boolean(${expression})`)) return;
      await Bun.sleep(50);
    }
    throw new Error(`timed out waiting for ${expression}; page: ${(await this.eval<string>("document.body.innerText")).slice(0, 500)}`);
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    return Buffer.from(data, "base64");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.ws.close();
    this.proc.kill("SIGKILL");
    await this.proc.exited;
    rmSync(this.profile, { recursive: true, force: true });
  }
}
