// Which top-level entries of a backup directory are the backup's own records (hb's, XtraBackup's) and which
// are the backed-up tree: one answer for prepare (what may sit beside the tree), restore (what stays behind)
// and verify (what the hash list covers).
import { readdirSync } from "node:fs";
import { HbError } from "../errors";
import { WORK_DIR } from "./files";

const OTHER_ROOT = /^hb_root\d+$/; // a capture root outside the datadir: data, not a record

/** True for `.hb`, `hb_*` records, `xtrabackup_*` and `backup-my.cnf`. */
export const isBackupRecord = (name: string) =>
  name === WORK_DIR || name === "backup-my.cnf" || name.startsWith("xtrabackup_") || (name.startsWith("hb_") && !OTHER_ROOT.test(name));

/** Throws unless DEST holds only the backup's records, none of them named like an entry of the tree. */
export function checkDestLayout(dest: string, treeTop: Iterable<string>): void {
  const present = new Set(readdirSync(dest));
  for (const name of present)
    if (!isBackupRecord(name))
      throw new HbError("destination", `${dest} contains ${name}, which is not part of the backup`, "move it elsewhere and run prepare again");
  for (const name of treeTop)
    if (isBackupRecord(name) || present.has(name))
      throw new HbError("destination", `the backed-up tree has an entry ${name} that DEST ${dest} already uses for the backup's own files`);
}
