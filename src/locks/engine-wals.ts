// Engines that keep committed work in memory at BLOCK_COMMIT get it on disk before the capture ends, or the
// backup holds transactions prepared but never committed. InnoDB (innodb_flush_log_at_trx_commit=0 or 2) and
// Aria go to disk with FLUSH ENGINE LOGS (backup/coordinates.ts). MyRocks with rocksdb_manual_wal_flush=ON
// (its default) does not: with the binlog on, a commit's marker is written to its WAL buffer without a flush
// (the binlog decides at recovery) and waits there for the next write, and MariaDB's FLUSH ENGINE LOGS leaves
// that buffer alone (measured: the WAL did not grow). A binlog rotation asks every engine for a commit
// checkpoint, and MyRocks answers with a synced FlushWAL (measured: the WAL grew by the 55-byte marker).
// Commits are blocked, so the new binlog's start is the backup's position; it is allowed under BLOCK_COMMIT.
import type { Db } from "../connect/client";
import type { ServerInfo } from "../discover/server";

/** Under BLOCK_COMMIT: put in-memory engine logs on disk (a binlog rotation, only when MyRocks needs it). */
export async function flushMemoryWals(db: Db, info: ServerInfo): Promise<void> {
  if (info.logBin && info.vars.rocksdb_manual_wal_flush === "ON") await db.query("FLUSH NO_WRITE_TO_BINLOG BINARY LOGS");
}
