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
  await second.query("FLUSH NO_WRITE_TO_BINLOG ENGINE LOGS");
  const [master] = await db.query<{ File: string; Position: string | number }[]>("SHOW MASTER STATUS");
  const [gtid] = await db.query<{ pos: string }[]>("SELECT @@GLOBAL.gtid_current_pos AS pos");
  const [lsn] = await db.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'");
  const coords: Coordinates = {
    binlog: master ? { file: master.File, position: String(master.Position), gtid: gtid?.pos ?? "" } : undefined,
    replicas: [],
    lsn: lsn ? String(lsn.Value) : "0",
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
