// A worker thread of `Scans.lineIndex`: indexes one big file's lines off the main thread, which meanwhile parses
// meta.jsonl. In the compiled binary it is an entry point of its own (package.json's build script, scripts/setup.sh, scripts/release.sh).
import { indexLines } from "./lines.ts";

declare const self: Worker;

self.onmessage = async (e: MessageEvent<{ file: string }>) => {
  postMessage(await indexLines(e.data.file));
};
