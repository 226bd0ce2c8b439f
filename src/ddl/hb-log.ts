// hb_ddl.log: the table DDL that ran during the backup, one line each:
//   <time>\t<created|renamed|dropped|truncated|rebuilt|altered>\t<db.table>[\t<new db.table>]
// (databases: "created database"/"dropped database" and the name). Built from the server's own DDL log and
// checked against the journal: a table one of them saw change and the other did not is reported.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DDL_LOG } from "../dest/files";
import type { ServerDdl } from "./server-log";

const ACTIONS: Record<string, string> = { CREATE: "created", DROP: "dropped", RENAME: "renamed", TRUNCATE: "truncated", ALTER: "altered" };

export function ddlLines(entries: ServerDdl[]): string[] {
  return entries.map((e) => {
    if (e.engine === "DATABASE") return `${e.time}\t${ACTIONS[e.action] ?? e.action.toLowerCase()} database\t${e.db}`;
    let action = ACTIONS[e.action] ?? e.action.toLowerCase();
    if (e.action === "ALTER" && e.newId && e.newId !== e.id) action = "rebuilt"; // a new table id: copied into a new file
    const renamedTo = e.newTable && (e.newDb !== e.db || e.newTable !== e.table) ? `\t${e.newDb}.${e.newTable}` : "";
    return `${e.time}\t${action}\t${e.db}.${e.table}${renamedTo}`;
  });
}

export function writeDdlLog(dest: string, entries: ServerDdl[]): void {
  const lines = ddlLines(entries);
  writeFileSync(join(dest, DDL_LOG), lines.length ? `${lines.join("\n")}\n` : "", { mode: 0o600 });
}

/** Tables the journal saw change by name but the server's log does not mention, and the other way round. */
export function ddlDisagreements(entries: ServerDdl[], touched: Set<string>): string[] {
  const logged = new Set<string>();
  for (const e of entries) {
    if (e.engine === "DATABASE") continue;
    logged.add(`${e.db}.${e.table}`);
    if (e.newTable) logged.add(`${e.newDb}.${e.newTable}`);
  }
  const loggedDbs = new Set(entries.filter((e) => e.engine === "DATABASE").map((e) => e.db));
  const out: string[] = [];
  for (const t of touched) if (!logged.has(t) && !loggedDbs.has(t.split(".")[0]!)) out.push(`${t}: changed in the journal, not in the server's DDL log`);
  for (const t of logged) if (!touched.has(t)) out.push(`${t}: in the server's DDL log, no file of it changed in the journal`);
  return out;
}
