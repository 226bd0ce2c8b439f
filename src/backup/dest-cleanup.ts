// A failed backup leaves nothing in DEST to block the retry. The run that fails removes what it created
// (DEST itself if it made it, else what it put in the empty DEST it was given). A run that could not (killed
// by SIGKILL, the machine lost) leaves DEST marked `copying` with its journal no longer locked: the next
// backup into DEST takes that for the remains of a dead backup and removes them first.
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { log } from "../log";
import { tryLockExclusive } from "../libc";
import { isBackupRecord } from "../dest/entries";
import { WORK_DIR, workingPath } from "../dest/files";

export interface DestUndo {
  remove(): void;
}

/** Call before creating DEST (checked empty or absent): remove() takes away what this run made there. */
export function destUndo(target: string): DestUndo {
  const existed = existsSync(target);
  return {
    remove() {
      try {
        if (!existed) rmSync(target, { recursive: true, force: true });
        else for (const name of readdirSync(target)) rmSync(join(target, name), { recursive: true, force: true });
        log.warn(`the backup failed: removed what it wrote in ${target}`);
      } catch (e) {
        log.error(`the backup failed, and removing what it wrote in ${target} failed too: ${(e as Error).message}`);
      }
    },
  };
}

/** Held for the whole backup on DEST/.hb/journal: a live backup's DEST is never taken for a dead one's. */
export function lockJournal(fd: number): void {
  if (!tryLockExclusive(fd)) throw new Error("the journal hb just created is locked by another process");
}

/** DEST holds only the remains of a backup that died: its own files, state `copying`, its journal unlocked. */
export function deadBackupIn(target: string): boolean {
  const names = readdirSync(target);
  if (!names.includes(WORK_DIR) || !names.every(isBackupRecord)) return false;
  try {
    if (readFileSync(workingPath(target, "state"), "utf8").trim() !== "copying") return false;
    const fd = openSync(workingPath(target, "journal"), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return tryLockExclusive(fd); // released by the close below
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Removes a dead backup's remains (deadBackupIn said so), keeping DEST itself. */
export function clearDeadBackup(target: string): void {
  log.warn(`${target} holds a backup that did not finish (state copying, its hb gone): removing it first`);
  for (const name of readdirSync(target)) rmSync(join(target, name), { recursive: true, force: true });
}
