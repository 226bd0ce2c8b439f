// After the journal is replayed, a server backup gets what mariabackup's prepare gives: backup_type becomes
// full-prepared, and (when a mariadbd of the backup's version is here, or --recover asks for it) the
// server's own crash recovery runs on it, so the first start after restore is a clean one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { checkState, readManifest } from "../dest";
import { formatCheckpoints, parseKeyValues } from "../metadata/xtrabackup";
import { writeFileDurably } from "../fsync-tree";
import { checkRecoveryNeeds, extraServerArgs, probePlugins } from "./plugins";
import { findServer } from "./recover";

export type RecoverMode = "auto" | "always" | "never";

/** The mariadbd for crash recovery, and the options --defaults-extra-file adds to backup-my.cnf's. */
export interface RecoveryServer {
  path: string;
  extraArgs: string[];
  defaultsExtraFile?: string;
}

/**
 * The mariadbd that will run crash recovery on DEST, or undefined: settled before prepare touches anything, so
 * that --recover without a server of the backup's version, or without the plugins and keys it needs, fails
 * with DEST as it was.
 */
export function recoveryServer(dest: string, recover: RecoverMode, defaultsExtraFile?: string): RecoveryServer | undefined {
  if (recover === "never" || checkState(dest) === "prepared" || readManifest(dest).kind !== "mariadb") return undefined;
  const infoFile = join(dest, "xtrabackup_info");
  const version = existsSync(infoFile) ? (parseKeyValues(readFileSync(infoFile, "utf8")).server_version ?? "") : "";
  const server = findServer(version);
  if (!server && recover === "always")
    throw new HbError("usage", `--recover: no mariadbd of version ${version} found (set HB_MARIADBD to its path)`);
  if (!server) {
    log.info(`no mariadbd ${version} here: the server will run crash recovery at its first start`);
    return undefined;
  }
  const extraArgs = extraServerArgs(defaultsExtraFile);
  checkRecoveryNeeds(dest, defaultsExtraFile);
  probePlugins(server.path, dest, defaultsExtraFile);
  return { path: server.path, extraArgs, defaultsExtraFile };
}

/** The last metadata change: backup_type full-prepared, written whole or not at all (run again, it is the same). */
export function markFullPrepared(dest: string): void {
  const file = join(dest, "xtrabackup_checkpoints");
  if (!existsSync(file)) return;
  const c = parseKeyValues(readFileSync(file, "utf8"));
  writeFileDurably(file, formatCheckpoints({ backupType: "full-prepared", fromLsn: c.from_lsn ?? "0", toLsn: c.to_lsn ?? "0", lastLsn: c.last_lsn ?? "0" }));
}
