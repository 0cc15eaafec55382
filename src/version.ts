import pkg from "../package.json" with { type: "json" };

/** sekft's own version, embedded at build time. */
export const VERSION: string = pkg.version;
