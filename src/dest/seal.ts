// Prepare's last step: a prepared DEST is a clean datadir. A server lists every directory of its datadir as a
// database, so hb's records leave .hb for top-level hb_* files, the journal is removed (kept as hb_journal.bin
// with --keep-journal), and .hb goes. Each step can be run again: a record already moved is found sealed.
import { existsSync, renameSync, rmSync } from "node:fs";
import { fsyncPath } from "../fsync-tree";
import { sealedPath, workDir, workingPath, type HbRecord } from "./files";
import { writeState } from "./state";

function move(dest: string, r: HbRecord): void {
  if (existsSync(workingPath(dest, r))) renameSync(workingPath(dest, r), sealedPath(dest, r));
}

export function sealDest(dest: string, { keepJournal = false } = {}): void {
  move(dest, "manifest");
  move(dest, "hashes");
  if (keepJournal) move(dest, "journal");
  writeState(dest, "prepared", "sealed");
  rmSync(workDir(dest), { recursive: true, force: true });
  fsyncPath(dest);
}
