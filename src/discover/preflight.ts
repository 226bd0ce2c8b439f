// Checks before a backup begins, each failing with its own exit class and a message that says what to do.
import { statfsSync } from "node:fs";
import { HbError } from "../errors";
import type { Db } from "../connect/client";
import type { ServerInfo } from "./server";

export interface PreflightOptions {
  slaveInfo: boolean;
  noSpaceCheck?: boolean;
}

async function privileges(db: Db): Promise<Set<string>> {
  const grants = await db.query<Record<string, string>[]>("SHOW GRANTS");
  const text = grants.map((g) => Object.values(g)[0]).join("\n").toUpperCase();
  if (/GRANT ALL PRIVILEGES ON \*\.\* /.test(text)) return new Set(["ALL"]);
  const global = text.split("\n").filter((l) => / ON \*\.\* /.test(l));
  const out = new Set<string>();
  for (const line of global) {
    const m = /^GRANT (.+?) ON \*\.\*/.exec(line);
    for (const p of m?.[1]?.split(",") ?? []) out.add(p.trim());
  }
  return out;
}

export async function preflight(db: Db, info: ServerInfo, dest: string, o: PreflightOptions): Promise<string[]> {
  const warnings: string[] = [];
  if (info.flavor !== "mariadb")
    throw new HbError("usage", `${info.version} is not MariaDB: only MariaDB 10.4 and later are supported yet`);
  const have = await privileges(db);
  const has = (...any: string[]) => have.has("ALL") || any.some((p) => have.has(p));
  const missing = [
    !has("RELOAD") && "RELOAD",
    !has("PROCESS") && "PROCESS",
    info.logBin && !has("BINLOG MONITOR", "REPLICATION CLIENT", "SUPER") && "BINLOG MONITOR",
    o.slaveInfo && !has("SLAVE MONITOR", "REPLICA MONITOR", "REPLICATION CLIENT", "SUPER") && "SLAVE MONITOR",
  ].filter(Boolean);
  if (missing.length)
    throw new HbError("privileges", `the backup account lacks ${missing.join(", ")}`, `GRANT ${missing.join(", ")} ON *.* TO <the backup user>`);
  if (o.slaveInfo) {
    const slaves = await db.query<unknown[]>("SHOW ALL SLAVES STATUS");
    if (!slaves.length) warnings.push("--slave-info: this server is not a replica; no xtrabackup_slave_info will be written");
  }
  if (!o.noSpaceCheck) {
    const [size] = await db.query<{ bytes: string | null }[]>(
      "SELECT SUM(DATA_LENGTH + INDEX_LENGTH + DATA_FREE) AS bytes FROM information_schema.TABLES",
    );
    const need = Number(size?.bytes ?? 0) * 1.1 + (1 << 30); // the copy, and an estimate of the journal
    const fs = statfsSync(dest);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < need)
      throw new HbError(
        "destination",
        `not enough space in ${dest}: need about ${(need / 2 ** 30).toFixed(1)} GiB (data + journal estimate), have ${(free / 2 ** 30).toFixed(1)} GiB`,
        "free space, or pass --no-space-check if you know better",
      );
  }
  return warnings;
}
