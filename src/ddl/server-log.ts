// The server's own backup DDL log: MariaDB (10.5+) writes <datadir>/ddl.log from BACKUP STAGE START on, one
// tab-separated line per DDL: time, action, engine, partitioned, db, table, id, and for RENAME/ALTER the new
// engine, partitioned, db, table, id. Names are in the file-name encoding.
import { existsSync, readFileSync } from "node:fs";
import { decodeTableName } from "./names";

export interface ServerDdl {
  time: string;
  action: string; // CREATE, DROP, RENAME, ALTER, TRUNCATE, …
  engine: string; // DATABASE for CREATE/DROP DATABASE
  db: string;
  table: string;
  id: string;
  newDb?: string;
  newTable?: string;
  newId?: string;
}

export function parseServerDdlLog(path: string): ServerDdl[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const f = line.split("\t");
      const entry: ServerDdl = { time: f[0]!, action: f[1]!, engine: f[2]!, db: decodeTableName(f[4] ?? ""), table: decodeTableName(f[5] ?? ""), id: f[6] ?? "" };
      if (f[10]) Object.assign(entry, { newDb: decodeTableName(f[9] ?? ""), newTable: decodeTableName(f[10]), newId: f[11] ?? "" });
      return entry;
    });
}
