// How much redo a prepare has to apply: from the newest checkpoint in the backup's ib_logfile0 header to the
// backup's end LSN (xtrabackup_checkpoints last_lsn). The same reading for hb's copy (after the journal's
// replay put the header as it was at the lock) and for mariabackup's (its header names the checkpoint it
// started from). Crash recovery's time grows with it, whichever tool made the backup.
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";

const CHECKPOINT_AT = [0x1000, 0x2000]; // 10.8+ format: two checkpoint blocks, the LSN first in each

export function redoToApplyBytes(dir: string): number {
  const last = /last_lsn\s*=\s*(\d+)/.exec(readFileSync(join(dir, "xtrabackup_checkpoints"), "utf8"))?.[1];
  if (!last) throw new Error(`${dir}: no last_lsn in xtrabackup_checkpoints`);
  const end = BigInt(last);
  const header = Buffer.alloc(0x2008);
  const fd = openSync(join(dir, "ib_logfile0"), "r");
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const checkpoints = CHECKPOINT_AT.map((at) => header.readBigUInt64BE(at)).filter((lsn) => lsn > 0n && lsn <= end);
  if (!checkpoints.length) throw new Error(`${dir}: no checkpoint at or before ${end} in ib_logfile0`);
  return Number(end - checkpoints.reduce((a, b) => (a > b ? a : b)));
}
