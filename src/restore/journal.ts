// DEST/.hb/restore.json: what a restore is doing, written durably before it touches the target, so that an
// interrupted restore can be finished by running the same command again (docs/prepare.md "Restore").
// A finished copy removes it (the backup is whole again); a finished --move keeps it, marked done: the backup
// has given its entries away and says where.
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { fsyncPath } from "../fsync-tree";
import type { RestoreEntry } from "./targets";

export interface RestoreJournal {
  format: 1;
  move: boolean;
  datadir: string;
  command: string; // what finishes it
  entries: RestoreEntry[];
  done: boolean;
}

const journalPath = (dest: string) => join(dest, ".hb", "restore.json");

export function readRestoreJournal(dest: string): RestoreJournal | undefined {
  let text: string;
  try {
    text = readFileSync(journalPath(dest), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HbError("io", `cannot read ${journalPath(dest)}: ${(e as Error).message}`);
  }
  try {
    const j = JSON.parse(text) as RestoreJournal;
    if (j.format === 1 && typeof j.datadir === "string" && Array.isArray(j.entries) && j.entries.every((e) => typeof e?.from === "string" && typeof e.to === "string"))
      return j;
  } catch {}
  throw new HbError("damaged", `${journalPath(dest)} is damaged: the restore it describes cannot be finished`);
}

/** tmp + fsync + rename + fsync of .hb: on disk before the first entry moves. */
export function writeRestoreJournal(dest: string, j: RestoreJournal): void {
  const file = journalPath(dest);
  const fd = openSync(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify(j));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
  fsyncPath(join(dest, ".hb"));
}

export function removeRestoreJournal(dest: string): void {
  rmSync(journalPath(dest), { force: true });
  fsyncPath(join(dest, ".hb"));
}
