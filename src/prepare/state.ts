// `.hb/state` says how far a backup got (copying → complete → preparing → prepared); prepare starts from
// `complete`, and from `preparing` it finishes what an interrupted prepare began (src/prepare/progress.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { manifestPath } from "../manifest";

export function readState(dest: string): string | undefined {
  try {
    return readFileSync(join(dest, ".hb", "state"), "utf8").trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined; // no backup there (DEST a file: not one either)
    throw new HbError("io", `cannot read ${join(dest, ".hb", "state")}: ${(e as Error).message}`);
  }
}

/** "complete" (prepare it), "preparing" (finish preparing it) or "prepared" (nothing to do); anything else is an error. */
export function checkState(dest: string): "complete" | "preparing" | "prepared" {
  const state = readState(dest);
  if (state === "complete" || state === "preparing" || state === "prepared") return state;
  if (state === undefined) {
    if (!existsSync(manifestPath(dest))) throw new HbError("damaged", `${dest} is not an hb backup (no .hb/manifest.json)`);
    throw new HbError("damaged", `backup at ${dest} is incomplete (no .hb/state): take a new one`);
  }
  throw new HbError("damaged", `backup at ${dest} is incomplete (state: ${state}): the backup did not finish; take a new one`);
}
