// hb verify --server: a throwaway server on a scratch copy of the prepared backup (the backup itself is never
// opened by a server) runs CHECK TABLE … EXTENDED on every table.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import mysql from "mysql2/promise";
import { isBackupRecord } from "../dest";
import { HbError } from "../errors";
import { log } from "../log";
import { parseKeyValues } from "../metadata/xtrabackup";
import { findServer, withThrowawayServer } from "../server/throwaway";

const SYSTEM = ["mysql", "information_schema", "performance_schema", "sys"];

export async function checkTables(dest: string): Promise<{ tables: number; problems: string[] }> {
  const version = parseKeyValues(readFileSync(join(dest, "xtrabackup_info"), "utf8")).server_version ?? "";
  const server = findServer(version);
  if (!server) throw new HbError("usage", `--server: no mariadbd of version ${version} found (set HB_MARIADBD to its path)`);
  const scratch = mkdtempSync(join(dirname(dest), ".hb-verify-"));
  try {
    for (const name of readdirSync(dest)) if (!isBackupRecord(name) || name === "backup-my.cnf") cpSync(join(dest, name), join(scratch, name), { recursive: true });
    return await withThrowawayServer(server.path, scratch, "verify --server", async ({ socket }) => {
      const conn = await mysql.createConnection({ socketPath: socket, user: "root" });
      try {
        const [rows] = await conn.query(
          `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (?)`,
          [SYSTEM],
        );
        const problems: string[] = [];
        const tables = rows as { db: string; t: string }[];
        for (const { db, t } of tables) {
          const [res] = await conn.query(`CHECK TABLE ${conn.escapeId(db)}.${conn.escapeId(t)} EXTENDED`);
          for (const r of res as { Msg_type: string; Msg_text: string }[])
            if (r.Msg_type === "error" || (r.Msg_type === "status" && r.Msg_text !== "OK")) problems.push(`${db}.${t}: ${r.Msg_text}`);
        }
        log.info(`CHECK TABLE EXTENDED: ${tables.length} tables, ${problems.length} problems`);
        return { tables: tables.length, problems };
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    }, { extraArgs: ["--skip-grant-tables"] });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
