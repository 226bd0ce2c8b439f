// The one logger. Everything goes to stderr; stdout is kept for results and --json.
import { createConsola } from "consola";

export const log = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  level: process.env.HB_QUIET ? 1 : 3,
});

export const setQuiet = (quiet: boolean) => {
  log.level = quiet ? 1 : 3;
};
