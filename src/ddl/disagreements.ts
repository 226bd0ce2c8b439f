// Where the server's DDL log and the journal disagree about which tables changed during the backup, and which
// of that a DBA must hear about. The backup lock (BACKUP STAGE BLOCK_DDL) holds off logged DDL only:
// - the journal saw a table's files created, renamed or removed and the server logged no DDL for it: what
//   did that was not held off by the lock, and may have been half done when the capture ended. A warning.
// - the server logged DDL and the journal saw no file of that table change: the DDL ran before the capture
//   began (the copy found its result), or changed no table file (CREATE TRIGGER). The copy and the journal
//   have the files as they were: the backup is exact. Listed in --json and in the debug log, not warned.
import { log } from "../log";
import type { ServerDdl } from "./server-log";

export interface DdlDisagreement {
  text: string;
  warn: boolean; // can mean a wrong backup
}

/** Tables the journal saw change by name but the server's log does not mention, and the other way round. */
export function ddlDisagreements(entries: ServerDdl[], touched: Set<string>): DdlDisagreement[] {
  const logged = new Set<string>();
  for (const e of entries) {
    if (e.engine === "DATABASE") continue;
    logged.add(`${e.db}.${e.table}`);
    if (e.newTable) logged.add(`${e.newDb}.${e.newTable}`);
  }
  const loggedDbs = new Set(entries.filter((e) => e.engine === "DATABASE").map((e) => e.db));
  const out: DdlDisagreement[] = [];
  for (const t of touched)
    if (!logged.has(t) && !loggedDbs.has(t.split(".")[0]!)) out.push({ text: `${t}: changed in the journal, not in the server's DDL log`, warn: true });
  for (const t of logged) if (!touched.has(t)) out.push({ text: `${t}: in the server's DDL log, no file of it changed in the journal`, warn: false });
  return out;
}

/** Warns of those that can mean a wrong backup, logs the rest at debug level; returns all, for --json. */
export function reportDdlDisagreements(found: DdlDisagreement[]): string[] {
  for (const d of found)
    if (d.warn) log.warn(`DDL log: ${d.text}: something other than logged DDL changed its files, and the backup lock does not hold that off`);
    else log.debug(`DDL log: ${d.text}`);
  return found.map((d) => d.text);
}
