// Where hb keeps its own records in a backup directory: the one place backup, prepare, restore and verify
// ask (docs/journal.md "The backup directory"). While a backup is taken and prepared, hb works in DEST/.hb:
// the copies, the journal, the state, the manifest. A prepared DEST is a datadir, and a server lists every
// directory of its datadir as a database: so prepare's last step (seal.ts) leaves hb's records as top-level
// files named hb_*, beside XtraBackup's xtrabackup_* files, and removes .hb.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const WORK_DIR = ".hb";
/** Where the copies are, as the manifest names them ("<DATA_REL>/<n>"). */
export const DATA_REL = `${WORK_DIR}/data`;

export type HbRecord = "state" | "manifest" | "hashes" | "journal" | "restore";
const WORKING: Record<HbRecord, string> = { state: "state", manifest: "manifest.json", hashes: "hashes.json", journal: "journal", restore: "restore.json" };
// Each with a dot: a database directory's name cannot have one (the server encodes it), so none can clash.
// restore: hb restore's plan (src/restore/journal.ts), written into a sealed DEST.
export const SEALED: Record<HbRecord, string> = {
  state: "hb_state.txt",
  manifest: "hb_manifest.json",
  hashes: "hb_hashes.json",
  journal: "hb_journal.bin",
  restore: "hb_restore.json",
};
/** hb's top-level files besides the sealed records. */
export const DDL_LOG = "hb_ddl.log";

/** Where a record is written while hb works on DEST. */
export const workingPath = (dest: string, r: HbRecord) => join(dest, WORK_DIR, WORKING[r]);
/** Where a record is once DEST is sealed. */
export const sealedPath = (dest: string, r: HbRecord) => join(dest, SEALED[r]);

/** Where a record of DEST is to be read: its working file while there is one, else its sealed file. */
export function recordPath(dest: string, r: HbRecord): string {
  const working = workingPath(dest, r);
  const sealed = sealedPath(dest, r);
  return !existsSync(working) && existsSync(sealed) ? sealed : working;
}

/** Where a record is to be written: into the work directory while DEST has one, else its sealed file. */
export const recordWritePath = (dest: string, r: HbRecord) => (existsSync(workDir(dest)) ? workingPath(dest, r) : sealedPath(dest, r));

/** A record's name for messages: ".hb/manifest.json". */
export const recordName = (r: HbRecord) => `${WORK_DIR}/${WORKING[r]}`;

export const workDir = (dest: string) => join(dest, WORK_DIR);
export const dataDir = (dest: string) => join(dest, DATA_REL);
/** Where prepare builds the tree before moving it into DEST. */
export const treeDir = (dest: string) => join(dest, WORK_DIR, "tree");
