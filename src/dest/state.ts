// The backup's state says how far it got (copying → complete → preparing → prepared), written durably at each
// step, so that prepare can tell a finished backup from an interrupted one; prepare starts from `complete`,
// and from `preparing` it finishes what an interrupted prepare began (src/prepare/progress.ts).
import { existsSync, readFileSync } from "node:fs";
import { HbError } from "../errors";
import { writeFileDurably } from "../fsync-tree";
import { recordName, recordPath, sealedPath, workingPath } from "./files";

export type BackupState = "copying" | "complete" | "preparing" | "prepared";

export function readState(dest: string): string | undefined {
  const file = recordPath(dest, "state");
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined; // no backup there (DEST a file: not one either)
    throw new HbError("io", `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Writes the state durably (tmp + fsync + rename): into the work directory, or its sealed file (seal.ts). */
export function writeState(dest: string, state: BackupState, where: "working" | "sealed" = "working"): void {
  const file = where === "working" ? workingPath(dest, "state") : sealedPath(dest, "state");
  writeFileDurably(file, `${state}\n`);
}

/** "complete" (prepare it), "preparing" (finish preparing it) or "prepared" (nothing to do); anything else is an error. */
export function checkState(dest: string): "complete" | "preparing" | "prepared" {
  const state = readState(dest);
  if (state === "complete" || state === "preparing" || state === "prepared") return state;
  if (state === undefined) {
    if (!existsSync(recordPath(dest, "manifest"))) throw new HbError("damaged", `${dest} is not an hb backup (no ${recordName("manifest")})`);
    throw new HbError("damaged", `backup at ${dest} is incomplete (no ${recordName("state")}): take a new one`);
  }
  throw new HbError("damaged", `backup at ${dest} is incomplete (state: ${state}): the backup did not finish; take a new one`);
}
