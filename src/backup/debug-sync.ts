// HB_DEBUG_SYNC=<point>: a testing and debugging aid in the spirit of XtraBackup's --debug-sync. When the
// backup reaches that point it says so on stderr and stops itself (SIGSTOP), so that a test can kill it in
// a phase that otherwise lasts milliseconds (BLOCK_COMMIT), or look at the server while hb holds a stage.
// `kill -CONT` lets it go on. Unset, every call is one string comparison.
import { writeSync } from "node:fs";
import { HbError } from "../errors";

/** The points, in the order a server backup reaches them (raw mode reaches only `listed` and `copy`). */
export const DEBUG_SYNC_POINTS = [
  "listed", // the first directory is listed and its files are open; none registered as unread yet
  "copy", // the capture runs and the first bytes have been copied
  "stage-start", // BACKUP STAGE START granted, the capture has begun, nothing copied yet
  "stage-flush", // BACKUP STAGE FLUSH granted
  "stage-block-ddl", // BACKUP STAGE BLOCK_DDL granted
  "stage-block-commit", // BACKUP STAGE BLOCK_COMMIT granted, coordinates not read yet
  "capture-end", // the capture has ended; BLOCK_COMMIT is still held
  "metadata", // BACKUP STAGE END done, xtrabackup_* files written, DEST not yet marked complete
] as const;

export type DebugSyncPoint = (typeof DEBUG_SYNC_POINTS)[number];

const wanted = process.env.HB_DEBUG_SYNC || undefined;
let reached = false;

/** A usage error for a point name that does not exist (a typo would otherwise make a test wait forever). */
export function checkDebugSync(): void {
  if (wanted && !(DEBUG_SYNC_POINTS as readonly string[]).includes(wanted))
    throw new HbError("usage", `unknown HB_DEBUG_SYNC point "${wanted}": expected one of ${DEBUG_SYNC_POINTS.join(", ")}`);
}

/** Stops this process at `point` if HB_DEBUG_SYNC names it (once). */
export function debugSync(point: DebugSyncPoint): void {
  if (point !== wanted || reached) return;
  reached = true;
  // Synchronous: the line must be out before the process stops.
  writeSync(2, `hb: debug-sync: paused at ${point} (pid ${process.pid})\n`);
  process.kill(process.pid, "SIGSTOP");
}
