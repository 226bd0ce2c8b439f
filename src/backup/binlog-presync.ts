// BACKUP STAGE BLOCK_COMMIT fsyncs the current binary log while every commit waits. With sync_binlog=0 (the
// default) that file can hold seconds of unsynced writes, and the fsync was most of the lock on a loaded
// server (measured: BLOCK_DDL→BLOCK_COMMIT 56 ms of a 72 ms lock). Syncing it ourselves just before, while
// commits still run, leaves the server's own fsync only the last few milliseconds of writes.
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Db } from "../connect/client";
import { log } from "../log";

export async function presyncBinlog(db: Db, logBinBasename: string | undefined): Promise<void> {
  if (!logBinBasename) return;
  try {
    const [row] = await db.query<{ File: string }[]>("SHOW MASTER STATUS");
    if (!row?.File || row.File.includes("/")) return;
    const file = await open(join(dirname(logBinBasename), row.File), "r");
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
  } catch (e) {
    log.debug(`binlog presync skipped: ${(e as Error).message}`); // only an optimisation: the server syncs anyway
  }
}
