// Which top-level entries of a backup directory are the backup's own records (hb's, XtraBackup's) and which
// are the backed-up tree: one answer for prepare (what may sit beside the tree), restore (what stays behind)
// and verify (what the hash list covers).
import { readdirSync } from "node:fs";
import { HbError } from "../errors";
import { DDL_LOG, LAYOUT_RECORD, SEALED, WORK_DIR } from "./files";

// By exact name: a database may be called hb_anything or xtrabackup_anything, and is data.
const RECORDS = new Set([
  WORK_DIR,
  DDL_LOG,
  LAYOUT_RECORD,
  ...Object.values(SEALED),
  "backup-my.cnf",
  ...["checkpoints", "binlog_info", "info", "slave_info", "galera_info", "binlog_pos_innodb", "tablespaces"].map((n) => `xtrabackup_${n}`),
]);

/** True for the backup's own records: `.hb`, hb's `hb_*` files, XtraBackup's `xtrabackup_*` files, `backup-my.cnf`. */
export const isBackupRecord = (name: string) => RECORDS.has(name);

/**
 * Throws unless DEST holds only the backup's records and `moved` (top-level entries of the tree an earlier,
 * interrupted prepare already moved in), none of them named like an entry of `treeTop` still to come.
 */
export function checkDestLayout(dest: string, treeTop: Iterable<string>, moved: ReadonlySet<string> = new Set()): void {
  const present = new Set(readdirSync(dest));
  for (const name of present)
    if (!isBackupRecord(name) && !moved.has(name))
      throw new HbError("destination", `${dest} contains ${name}, which is not part of the backup`, "move it elsewhere and run prepare again");
  for (const name of treeTop)
    if (isBackupRecord(name) || present.has(name))
      throw new HbError("destination", `the backed-up tree has an entry ${name} that DEST ${dest} already uses for the backup's own files`);
}
