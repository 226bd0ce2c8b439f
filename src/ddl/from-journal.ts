// The tables the journal saw change by name during a backup: every .frm or table data file bound or unbound
// in a database directory (the server's #sql-… intermediates aside). Compared with the server's own
// backup DDL log, which says what the DDL was, it catches DDL that one of the two missed.
import type { NsEvent } from "../capture/events";
import { decodeTableName } from "./names";

const TABLE_FILE = /^(.+)\.(frm|ibd|MYD|MYI|MAD|MAI|CSV|CSM|ARZ|par)$/;

/** `dbOf(parent ident)` names a database directory under the datadir, or undefined for anything else. */
export function tablesTouched(events: NsEvent[], dbOf: (parent: string) => string | undefined): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    const db = dbOf(e.parent);
    const m = TABLE_FILE.exec(e.name);
    if (!db || !m || m[1]!.startsWith("#sql")) continue;
    out.add(`${decodeTableName(db)}.${decodeTableName(m[1]!.replace(/#P#.*$/, ""))}`);
  }
  return out;
}
