/**
 * One abort signal for the whole run: SIGINT, SIGTERM and SIGHUP (a closed terminal, a dropped ssh session)
 * abort it and the run cleans up — containers removed, partial files left as resumable partials; a second
 * signal exits at once.
 */
export const abortController = new AbortController();

// Clean-up after the first signal is bounded by the engine deadlines; past this, nothing is worth waiting for.
const CLEANUP_GRACE_MS = 20_000;

const SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
let received: keyof typeof SIGNALS | undefined;

/** The exit code of an interrupted run, as shells report it: 128 + the signal's number (129, 130, 143). */
export function interruptExitCode(): number {
  return SIGNALS[received ?? "SIGINT"];
}

for (const sig of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
  process.on(sig, () => {
    if (received) process.exit(interruptExitCode());
    received = sig;
    abortController.abort(new Error(`received ${sig}`));
    setTimeout(() => {
      process.stderr.write(`sekft: clean-up did not finish within ${CLEANUP_GRACE_MS / 1000}s after ${sig}; exiting\n`);
      process.exit(interruptExitCode());
    }, CLEANUP_GRACE_MS).unref();
  });
}
