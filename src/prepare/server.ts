// After the journal is replayed, a server backup gets what mariabackup's prepare gives: backup_type becomes
// full-prepared, and (when a mariadbd of the backup's version is here, or --recover asks for it) the
// server's own crash recovery runs on it, so the first start after restore is a clean one.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { checkState, readManifest } from "../dest";
import { formatCheckpoints, parseKeyValues } from "../metadata/xtrabackup";
import { closeCsvTables } from "./csv-meta";
import { checkRecoveryNeeds, checkRedoKey, extraServerArgs, probePlugins } from "./plugins";
import { findServer, recoverDatadir } from "./recover";

export type RecoverMode = "auto" | "always" | "never";

/** The mariadbd for crash recovery, and the options --defaults-extra-file adds to backup-my.cnf's. */
export interface RecoveryServer {
  path: string;
  extraArgs: string[];
  defaultsExtraFile?: string;
}

/**
 * A prepared backup whose crash recovery failed (e.g. for a key its backup-my.cnf does not name): still
 * `full-backuped`, which only a finished prepare changes. Prepare then runs the recovery again.
 */
function recoveryPending(dest: string): boolean {
  const file = join(dest, "xtrabackup_checkpoints");
  return existsSync(file) && parseKeyValues(readFileSync(file, "utf8")).backup_type === "full-backuped";
}

/**
 * The mariadbd that will run crash recovery on DEST, or undefined: settled before prepare touches anything, so
 * that --recover without a server of the backup's version, or without the plugins and keys it needs, fails
 * with DEST as it was.
 */
export function recoveryServer(dest: string, recover: RecoverMode, defaultsExtraFile?: string): RecoveryServer | undefined {
  if (recover === "never") return undefined;
  const state = checkState(dest); // before the manifest: what is not a backup is said so (exit 10)
  if (readManifest(dest).kind !== "mariadb" || (state === "prepared" && !recoveryPending(dest))) return undefined;
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

/** After the replay: CSV tables closed, crash recovery with `server` (from recoveryServer), backup_type full-prepared. */
export async function finishServerPrepare(dest: string, server: RecoveryServer | undefined): Promise<{ recovered: boolean; recoveryMs?: number }> {
  for (const table of closeCsvTables(dest)) log.info(`CSV table ${table}: marked closed (it was open for writing when the capture ended)`);
  if (server) checkRedoKey(dest, server.defaultsExtraFile);
  const out = server ? { recovered: true, recoveryMs: (await recoverDatadir(dest, server.path, server.extraArgs)).durationMs } : { recovered: false };
  const file = join(dest, "xtrabackup_checkpoints");
  if (existsSync(file)) {
    const c = parseKeyValues(readFileSync(file, "utf8"));
    writeFileSync(file, formatCheckpoints({ backupType: "full-prepared", fromLsn: c.from_lsn ?? "0", toLsn: c.to_lsn ?? "0", lastLsn: c.last_lsn ?? "0" }));
  }
  return out;
}
