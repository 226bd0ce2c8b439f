// Writes the xtrabackup-compatible metadata of a server backup into DEST (after the final lock).
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerInfo } from "../discover/server";
import {
  formatBackupMyCnf,
  formatBinlogInfo,
  formatCheckpoints,
  formatInfo,
  formatSlaveInfo,
  localTime,
  maskPassword,
} from "../metadata/xtrabackup";
import { VERSION } from "../version";
import type { Coordinates } from "./coordinates";

export interface MetadataInput {
  info: ServerInfo;
  coords: Coordinates;
  lockTimeMs: number;
  argv: string[];
  startedAt: Date;
  stats: { bytesCopied: number; journalBytes: number };
}

export function writeServerMetadata(dest: string, m: MetadataInput): void {
  const put = (name: string, text: string) => writeFileSync(join(dest, name), text, { mode: 0o600 });
  const { coords, info } = m;
  put("xtrabackup_checkpoints", formatCheckpoints({ backupType: "full-backuped", fromLsn: "0", toLsn: coords.lsn, lastLsn: coords.lsn }));
  if (coords.binlog) put("xtrabackup_binlog_info", formatBinlogInfo(coords.binlog));
  if (coords.replicas.length) put("xtrabackup_slave_info", formatSlaveInfo({ gtidSlavePos: coords.gtidSlavePos ?? "", connections: coords.replicas }));
  put("backup-my.cnf", formatBackupMyCnf(info.vars, info.plugins));
  const b = coords.binlog;
  put(
    "xtrabackup_info",
    formatInfo([
      ["uuid", randomUUID()],
      ["name", ""],
      ["tool_name", "hb"],
      ["tool_command", maskPassword(m.argv).join(" ")],
      ["tool_version", VERSION],
      ["ibbackup_version", VERSION],
      ["server_version", info.version],
      ["start_time", localTime(m.startedAt)],
      ["end_time", localTime(new Date())],
      ["lock_time", Math.round(m.lockTimeMs / 1000)],
      ["lock_time_ms", m.lockTimeMs],
      ["binlog_pos", b ? `filename '${b.file}', position '${b.position}', GTID of the last change '${b.gtid}'` : ""],
      ["innodb_from_lsn", 0],
      ["innodb_to_lsn", coords.lsn],
      ["partial", "N"],
      ["incremental", "N"],
      ["format", "file"],
      ["compressed", "N"],
      ["bytes_copied", m.stats.bytesCopied],
      ["journal_bytes", m.stats.journalBytes],
    ]),
  );
}
