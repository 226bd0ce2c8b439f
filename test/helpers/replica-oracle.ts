// The replica oracle's check, shared by test/oracle/replica.test.ts and bench/soak.ts: start a server on a
// prepared backup, roll it forward with the source's binlog from xtrabackup_binlog_info, and return both
// sides' CHECKSUM TABLE. The source must be quiet (no load) while this runs: its state is the target.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyBinlogFrom } from "./binlog";
import { checksumAll, startMariaDB, type Server, type TableChecksum } from "./mariadb";

export interface OracleResult {
  want: TableChecksum[]; // the source now
  got: TableChecksum[]; // the backup, rolled forward
  beforeBinlog: TableChecksum[]; // the backup as restored, before the binlog (must differ if the source went on)
  cleanStart: boolean; // the server on the backup did not run crash recovery (prepare already did)
}

/** `dest` is a prepared backup; the server started on it changes it (it becomes that server's datadir). */
export async function rollForwardAndCompare(source: Server, dest: string, serverId = 2): Promise<OracleResult> {
  const [file, position] = readFileSync(join(dest, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
  await using replica = await startMariaDB({ datadir: dest, binlog: false, serverId, shim: false });
  const cleanStart = !readFileSync(replica.errorLog, "utf8").includes("Starting crash recovery");
  const beforeBinlog = await checksumAll(replica);
  await applyBinlogFrom(source, replica, file!, position!);
  return { want: await checksumAll(source), got: await checksumAll(replica), beforeBinlog, cleanStart };
}
