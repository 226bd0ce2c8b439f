// The tables the journal saw change by name during a backup: every .frm or table data file bound or unbound
// in a database directory (the server's #sql-… intermediates aside). Compared with the server's own
// backup DDL log, which says what the DDL was, it catches DDL that one of the two missed (disagreements.ts).
import type { NsEvent } from "../capture/events";
import type { Listing } from "../copy/walker";
import { isDir } from "../libc";
import { decodeTableName } from "./names";

const TABLE_FILE = /^(.+)\.(frm|ibd|MYD|MYI|MAD|MAI|CSV|CSM|ARZ|par)$/;

/**
 * `datadir` is the datadir's ident; its listings name the databases that were there. A database directory
 * made during the backup is named by its BIND, from there on in journal order: a dropped database's inode
 * number goes to the next one made, and its files are that one's only from its BIND on.
 */
export function tablesTouched(events: NsEvent[], datadir: string, listings: Listing[]): Set<string> {
  const dbs = new Map<string, string>(); // directory ident -> database, as of the record being read
  for (const l of listings) if (l.ident === datadir) for (const e of l.entries) if (isDir(e.mode)) dbs.set(e.ident, e.name);
  const out = new Set<string>();
  for (const e of events) {
    if (e.bind && e.parent === datadir && isDir(e.mode)) dbs.set(e.ident, e.name);
    const db = dbs.get(e.parent);
    const m = TABLE_FILE.exec(e.name);
    if (!db || !m || m[1]!.startsWith("#sql")) continue;
    out.add(`${decodeTableName(db)}.${decodeTableName(m[1]!.replace(/#P#.*$/, ""))}`);
  }
  return out;
}
