// HB_DEBUG_SYNC=<point>: a testing and debugging aid in the spirit of XtraBackup's --debug-sync. When the
// backup reaches that point it says so on stderr and stops itself (SIGSTOP), so that a test can kill it in
// a phase that otherwise lasts milliseconds (BLOCK_COMMIT), or look at the server while hb holds a stage.
// `kill -CONT` lets it go on. Unset, every call is one string comparison. A point reached many times (one
// per entry a restore places) takes an ordinal: `restore-entry:8` stops before the 8th.
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

/** Reached by a server backup before DEST exists: attached to the shim, the server not yet claimed
 * (src/capture/claim.ts). Two backups stopped here and let go together race for the claim. */
export const CLAIM_SYNC_POINTS = ["attached"] as const;

/** hb restore's points (src/restore), in the order it reaches them. */
export const RESTORE_SYNC_POINTS = [
  "restore-planned", // the restore journal is on disk, nothing placed yet
  "restore-entry", // before an entry is renamed (--move) or copied
  "restore-copied", // an entry is copied under its temporary name, not yet renamed into place
  "restore-placed", // every entry is in place, the journal not yet closed
] as const;

export type DebugSyncPoint = (typeof DEBUG_SYNC_POINTS | typeof CLAIM_SYNC_POINTS | typeof RESTORE_SYNC_POINTS)[number];
const ALL_POINTS: readonly string[] = [...DEBUG_SYNC_POINTS, ...CLAIM_SYNC_POINTS, ...RESTORE_SYNC_POINTS];

const [wanted, ordinalText] = (process.env.HB_DEBUG_SYNC || "").split(":");
const ordinal = ordinalText === undefined ? 1 : Number(ordinalText);
let reached = 0;

/** A usage error for a point name that does not exist (a typo would otherwise make a test wait forever). */
export function checkDebugSync(): void {
  if (wanted && !ALL_POINTS.includes(wanted))
    throw new HbError("usage", `unknown HB_DEBUG_SYNC point "${wanted}": expected one of ${ALL_POINTS.join(", ")}`);
  if (!Number.isSafeInteger(ordinal) || ordinal < 1)
    throw new HbError("usage", `HB_DEBUG_SYNC ordinal "${ordinalText}" is not a positive integer`);
}

/** Stops this process at `point` if HB_DEBUG_SYNC names it, the time its ordinal says (the first by default). */
export function debugSync(point: DebugSyncPoint): void {
  if (point !== wanted || ++reached !== ordinal) return;
  // Synchronous: the line must be out before the process stops.
  writeSync(2, `hb: debug-sync: paused at ${process.env.HB_DEBUG_SYNC} (pid ${process.pid})\n`);
  process.kill(process.pid, "SIGSTOP");
}
