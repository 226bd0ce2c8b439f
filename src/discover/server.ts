// What hb needs to know about the server, asked over SQL: version, where its files are, its pid.
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { HbError } from "../errors";
import type { Db } from "../connect/client";
import { readBackupPlugins, type BackupPlugins } from "../metadata/plugins";
import { dataFilesOf, layoutRoots, remoteLinks, type SourceLayout } from "./layout";

export interface ServerInfo extends SourceLayout {
  flavor: "mariadb" | "mysql";
  version: string;
  logBin: boolean;
  logBinBasename?: string;
  relayLogBasename?: string;
  pidFile: string;
  pid: number;
  serverId: number;
  errorLog?: string;
  generalLogFile?: string;
  slowLogFile?: string;
  vars: Record<string, string>; // the raw variables, for backup-my.cnf and xtrabackup_info
  plugins?: BackupPlugins; // what recovery needs loaded, for backup-my.cnf
}

const WANTED = [
  "version", "version_comment", "datadir", "innodb_data_home_dir", "innodb_data_file_path", "innodb_log_group_home_dir",
  "innodb_undo_directory", "innodb_undo_tablespaces", "aria_log_dir_path", "log_bin", "log_bin_basename", "relay_log_basename",
  "pid_file", "server_id", "log_error", "general_log_file", "slow_query_log_file", "innodb_page_size", "innodb_log_file_size",
  "innodb_checksum_algorithm", "innodb_compression_level", "socket", "port", "rocksdb_manual_wal_flush",
  "innodb_flush_log_at_trx_commit",
];

const canonical = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p.replace(/\/+$/, "") || "/";
  }
};

export async function discover(db: Db): Promise<ServerInfo> {
  const rows = await db.query<{ Variable_name: string; Value: string }[]>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${WANTED.map(() => "?").join(",")})`,
    WANTED,
  );
  const v: Record<string, string> = Object.fromEntries(rows.map((r) => [r.Variable_name, String(r.Value ?? "")]));
  const datadir = canonical(v.datadir ?? "");
  // Relative paths in these variables are relative to the datadir; empty means the datadir itself.
  const inData = (p: string | undefined) => (!p ? datadir : canonical(isAbsolute(p) ? p : join(datadir, p)));
  const optional = (p: string | undefined) => (p ? inData(p) : undefined);
  const pidFile = inData(v.pid_file);
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch (e) {
    throw new HbError("shim", `cannot read the server's pid file ${pidFile}: ${(e as Error).message}`, "run hb on the server's host, as root or the server's user");
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new HbError("shim", `the server's pid file ${pidFile} does not hold a pid`);
  const innodbDataHomeDir = inData(v.innodb_data_home_dir);
  const isMaria = /mariadb/i.test(`${v.version} ${v.version_comment}`);
  return {
    flavor: isMaria ? "mariadb" : "mysql",
    version: v.version ?? "",
    datadir,
    innodbDataHomeDir,
    dataFiles: dataFilesOf(v.innodb_data_file_path ?? "ibdata1:12M:autoextend", innodbDataHomeDir),
    innodbLogGroupHomeDir: inData(v.innodb_log_group_home_dir),
    innodbUndoDirectory: inData(v.innodb_undo_directory),
    ariaLogDir: inData(v.aria_log_dir_path),
    logBin: v.log_bin === "ON",
    logBinBasename: v.log_bin === "ON" ? optional(v.log_bin_basename) : undefined,
    relayLogBasename: optional(v.relay_log_basename),
    pidFile,
    pid,
    serverId: Number(v.server_id ?? 0),
    errorLog: v.log_error && v.log_error !== "stderr" ? inData(v.log_error) : undefined,
    generalLogFile: optional(v.general_log_file),
    slowLogFile: optional(v.slow_query_log_file),
    vars: v,
    plugins: await readBackupPlugins(db, datadir),
  };
}

/** The directories to capture (docs/layout.md): the datadir first, then whatever of the server's lives outside it. */
export const captureRoots = (info: ServerInfo): string[] => layoutRoots(info, remoteLinks(info.datadir));
