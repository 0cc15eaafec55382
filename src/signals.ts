/** One abort signal for the whole run: SIGINT/SIGTERM abort it; a second signal exits at once. */
export const abortController = new AbortController();

// Clean-up after the first signal is bounded by the engine deadlines; past this, nothing is worth waiting for.
const CLEANUP_GRACE_MS = 20_000;

let received: "SIGINT" | "SIGTERM" | undefined;

/** The exit code of an interrupted run, as shells report it: 130 after SIGINT, 143 after SIGTERM. */
export function interruptExitCode(): number {
  return received === "SIGTERM" ? 143 : 130;
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
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
