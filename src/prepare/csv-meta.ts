// CSV tables open for writing when the capture ends (mysql.general_log and slow_log under log_output=TABLE,
// any CSV table written during the backup) have their .CSM saying so: the engine sets a mark there when it
// opens a table for writing and clears it at a clean close, and reads a set mark at the next open as
// "crashed". The copy of the data is exact as of the capture's end, so prepare writes each .CSM as a clean
// close would: the mark cleared, the row count that of the data file (a row is one line: the engine escapes
// newlines inside values).
import { closeSync, fsyncSync, openSync, readdirSync, readSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isBackupRecord } from "../dest";

// ha_tina's meta file: 0xFE, version 1, rows (8 bytes, little-endian), three unused 8-byte fields, the mark.
const META_SIZE = 35;
const ROWS_AT = 2;
const MARK_AT = 34;

function countLines(path: string): bigint {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let lines = 0n;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
    return lines;
  } finally {
    closeSync(fd);
  }
}

function closeTable(meta: string): boolean {
  const fd = openSync(meta, "r+");
  try {
    const buf = Buffer.alloc(META_SIZE);
    if (readSync(fd, buf, 0, META_SIZE, 0) !== META_SIZE || buf[0] !== 0xfe || buf[1] !== 1) return false;
    const rows = countLines(meta.replace(/\.CSM$/, ".CSV"));
    if (buf[MARK_AT] === 0 && buf.readBigUInt64LE(ROWS_AT) === rows) return false;
    buf.writeBigUInt64LE(rows, ROWS_AT);
    buf[MARK_AT] = 0;
    writeSync(fd, buf, 0, META_SIZE, 0);
    fsyncSync(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Marks every CSV table in DEST's databases closed; returns the tables whose .CSM changed (db/name). */
export function closeCsvTables(dest: string): string[] {
  const changed: string[] = [];
  for (const db of readdirSync(dest, { withFileTypes: true })) {
    if (!db.isDirectory() || isBackupRecord(db.name)) continue;
    for (const name of readdirSync(join(dest, db.name))) {
      const meta = join(dest, db.name, name);
      if (name.endsWith(".CSM") && statSync(meta).size === META_SIZE && statSync(meta.replace(/\.CSM$/, ".CSV"), { throwIfNoEntry: false }))
        if (closeTable(meta)) changed.push(`${db.name}/${name.slice(0, -4)}`);
    }
  }
  return changed;
}
