/** One abort signal for the whole run: SIGINT/SIGTERM abort it; a second signal exits at once. */
export const abortController = new AbortController();

let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    abortController.abort(new Error(`received ${sig}`));
  });
}
