// The one logger. Everything goes to stderr; stdout is kept for results and --json.
import { createConsola } from "consola";

export const log = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  level: process.env.HB_QUIET ? 1 : process.env.HB_DEBUG ? 4 : 3,
});

export const setQuiet = (quiet: boolean) => {
  if (quiet) log.level = 1;
};

const t0 = performance.now();
/** A step of a long operation, with the time since hb started (shown with HB_DEBUG=1). */
export const step = (what: string) => log.debug(`+${Math.round(performance.now() - t0)} ms ${what}${process.env.HB_DEBUG === "epoch" ? ` @${Date.now()}` : ""}`);
