// The restore journal (hb_restore.json in a prepared DEST): what a restore is doing, written durably before
// it touches the target, so that an interrupted restore is finished by running the same command again
// (docs/prepare.md "Restore").
// A finished copy removes it (the backup is whole again); a finished --move keeps it, marked done: the backup
// has given its entries away and says where.
import { readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { recordPath, recordWritePath } from "../dest";
import { HbError } from "../errors";
import { fsyncPath, writeFileDurably } from "../fsync-tree";
import type { RestoreEntry } from "./targets";

export interface RestoreJournal {
  format: 1;
  move: boolean;
  datadir: string;
  command: string; // what finishes it
  entries: RestoreEntry[];
  done: boolean;
}

export function readRestoreJournal(dest: string): RestoreJournal | undefined {
  const file = recordPath(dest, "restore");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HbError("io", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const j = JSON.parse(text) as RestoreJournal;
    if (j.format === 1 && typeof j.datadir === "string" && Array.isArray(j.entries) && j.entries.every((e) => typeof e?.from === "string" && typeof e.to === "string"))
      return j;
  } catch {}
  throw new HbError("damaged", `${file} is damaged: the restore it describes cannot be finished`);
}

/** tmp + fsync + rename + fsync of its directory: on disk before the first entry moves. */
export function writeRestoreJournal(dest: string, j: RestoreJournal): void {
  writeFileDurably(recordWritePath(dest, "restore"), JSON.stringify(j));
}

export function removeRestoreJournal(dest: string): void {
  const file = recordPath(dest, "restore");
  rmSync(file, { force: true });
  fsyncPath(dirname(file));
}
