// After the journal is replayed, a server backup gets what mariabackup's prepare gives: backup_type becomes
// full-prepared, and (when a mariadbd of the backup's version is here, or --recover asks for it) the
// server's own crash recovery runs on it, so the first start after restore is a clean one.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { formatCheckpoints, parseKeyValues } from "../metadata/xtrabackup";
import { findServer, recoverDatadir } from "./recover";

export type RecoverMode = "auto" | "always" | "never";

export async function finishServerPrepare(dest: string, recover: RecoverMode): Promise<{ recovered: boolean; recoveryMs?: number }> {
  const infoFile = join(dest, "xtrabackup_info");
  const version = existsSync(infoFile) ? (parseKeyValues(readFileSync(infoFile, "utf8")).server_version ?? "") : "";
  let out: { recovered: boolean; recoveryMs?: number } = { recovered: false };
  if (recover !== "never") {
    const server = findServer(version);
    if (server) out = { recovered: true, recoveryMs: (await recoverDatadir(dest, server.path)).durationMs };
    else if (recover === "always")
      throw new HbError("usage", `--recover: no mariadbd of version ${version} found (set HB_MARIADBD to its path)`);
    else log.info(`no mariadbd ${version} here: the server will run crash recovery at its first start`);
  }
  const file = join(dest, "xtrabackup_checkpoints");
  if (existsSync(file)) {
    const c = parseKeyValues(readFileSync(file, "utf8"));
    writeFileSync(file, formatCheckpoints({ backupType: "full-prepared", fromLsn: c.from_lsn ?? "0", toLsn: c.to_lsn ?? "0", lastLsn: c.last_lsn ?? "0" }));
  }
  return out;
}
