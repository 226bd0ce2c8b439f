// Engines that keep committed work in memory at BLOCK_COMMIT get it on disk before the capture ends, or the
// backup misses commits its binlog position says it has (docs/capture.md "Engines that keep their log in
// memory"). FLUSH ENGINE LOGS (backup/coordinates.ts) covers InnoDB with innodb_flush_log_at_trx_commit=2 and
// Aria; two cases it does not:
// - InnoDB with innodb_flush_log_at_trx_commit=0: its FLUSH ENGINE LOGS writes nothing then, and commits wait
//   in the log buffer for the once-a-second write (measured: rows missing after the binlog replay). hb waits
//   under the lock until the redo is written up to the LSN of that moment, as mariabackup waits for its copy.
// - MyRocks with rocksdb_manual_wal_flush=ON (its default): with the binlog on, a commit's marker is written to
//   its WAL buffer without a flush (the binlog decides at recovery) and waits there for the next write; FLUSH
//   ENGINE LOGS leaves that buffer alone (measured: the WAL did not grow). A binlog rotation asks every engine
//   for a commit checkpoint, and MyRocks answers with a synced FlushWAL (measured: the WAL grew by the 55-byte
//   marker). Commits are blocked, so the new binlog's start is the backup's position; the server allows it
//   under BLOCK_COMMIT.
import type { Db } from "../connect/client";
import type { ServerInfo } from "../discover/server";
import { HbError } from "../errors";

const REDO_WAIT_MS = 5000; // the server writes its log buffer every second; five is a server in trouble

async function redoWrittenUpTo(db: Db): Promise<void> {
  const lsn = (name: string) => `(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '${name}')`;
  const ask = async () => (await db.query<{ current: string; flushed: string }[]>(`SELECT ${lsn("INNODB_LSN_CURRENT")} AS current, ${lsn("INNODB_LSN_FLUSHED")} AS flushed`))[0]!;
  const target = BigInt((await ask()).current);
  const deadline = Date.now() + REDO_WAIT_MS;
  while (BigInt((await ask()).flushed) < target) {
    if (Date.now() > deadline) throw new HbError("capture", `InnoDB did not write its redo log up to LSN ${target} within ${REDO_WAIT_MS / 1000} s under the lock`);
    await Bun.sleep(10);
  }
}

/** Under BLOCK_COMMIT, before the coordinates: put in-memory engine logs on disk, where they need it. */
export async function flushMemoryWals(db: Db, info: ServerInfo): Promise<void> {
  if (info.vars.innodb_flush_log_at_trx_commit === "0") await redoWrittenUpTo(db);
  if (info.logBin && info.vars.rocksdb_manual_wal_flush === "ON") await db.query("FLUSH NO_WRITE_TO_BINLOG BINARY LOGS");
}
