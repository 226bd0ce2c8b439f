// What the backup's instant corresponds to, read under BLOCK_COMMIT: binlog file and position, GTID, the
// replication state of a replica, and InnoDB's LSN, after the engines' logs were flushed.
import type { Db } from "../connect/client";

export interface ReplicaConnection {
  name: string;
  masterLogFile: string; // Relay_Master_Log_File: the source's binlog the SQL thread has executed up to
  masterLogPos: string; // Exec_Master_Log_Pos
  usingGtid: boolean;
}

export interface Coordinates {
  binlog?: { file: string; position: string; gtid: string };
  gtidSlavePos?: string;
  replicas: ReplicaConnection[];
  lsn: string;
}

/**
 * `second` is another connection, opened before the lock (connecting is not free): engine logs go to disk
 * first (redo of commits made with innodb_flush_log_at_trx_commit=0, Aria's log), on it, since the first
 * connection holds the backup stages.
 */
export async function readCoordinates(db: Db, second: Db, o: { slaveInfo: boolean }): Promise<Coordinates> {
  // Commits are blocked: the coordinates cannot move, so the flush and the reads go in parallel (the lock
  // lasts as long as the slowest of them, not their sum).
  const [, [master], [point]] = await Promise.all([
    second.query("FLUSH NO_WRITE_TO_BINLOG ENGINE LOGS"),
    db.query<{ File: string; Position: string | number }[]>("SHOW MASTER STATUS"),
    db.query<{ gtid: string; lsn: string | null }[]>(
      "SELECT @@GLOBAL.gtid_current_pos AS gtid, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_LSN_CURRENT') AS lsn",
    ),
  ]);
  const coords: Coordinates = {
    binlog: master ? { file: master.File, position: String(master.Position), gtid: point?.gtid ?? "" } : undefined,
    replicas: [],
    lsn: point?.lsn ? String(point.lsn) : "0",
  };
  if (o.slaveInfo) {
    const [slavePos] = await db.query<{ pos: string }[]>("SELECT @@GLOBAL.gtid_slave_pos AS pos");
    coords.gtidSlavePos = slavePos?.pos ?? "";
    const rows = await db.query<Record<string, string>[]>("SHOW ALL SLAVES STATUS");
    coords.replicas = rows.map((r) => ({
      name: r.Connection_name ?? "",
      masterLogFile: r.Relay_Master_Log_File ?? "",
      masterLogPos: String(r.Exec_Master_Log_Pos ?? ""),
      usingGtid: (r.Using_Gtid ?? "No") !== "No",
    }));
  }
  return coords;
}
