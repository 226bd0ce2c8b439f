// Which disagreements between the server's DDL log and the journal hb warns of, and how the journal's table
// changes are named when database directories come and go (inode numbers reused).
import { expect, test } from "bun:test";
import type { NsEvent } from "../../src/capture/events";
import { ddlDisagreements } from "../../src/ddl/disagreements";
import { tablesTouched } from "../../src/ddl/from-journal";
import type { ServerDdl } from "../../src/ddl/server-log";

const DIR = 0o040755;
const FILE = 0o100640;
const DATADIR = "1:2";
let pos = 0;
const bind = (parent: string, name: string, ident: string, mode = FILE, isNew = true): NsEvent => ({
  pos: (pos += 128),
  bind: true,
  isNew,
  outside: false,
  ident,
  mode,
  parent,
  name,
  absPath: `/data/${name}`,
});
const unbind = (parent: string, name: string, ident: string): NsEvent => ({ ...bind(parent, name, ident, 0, false), bind: false, absPath: "" });
const ddl = (action: string, db: string, table: string, engine = "InnoDB"): ServerDdl => ({ time: "t", action, engine, db, table, id: "" });

test("a table changed by name with no DDL logged warns; logged DDL whose files the journal did not see change does not", () => {
  const found = ddlDisagreements(
    [ddl("CREATE", "d", "logged"), ddl("CREATE", "d", "tr", "TRIGGER"), ddl("CREATE", "gone", "", "DATABASE")],
    new Set(["d.logged", "d.fake", "gone.t"]),
  );
  expect(found).toEqual([
    { text: "d.fake: changed in the journal, not in the server's DDL log", warn: true },
    { text: "d.tr: in the server's DDL log, no file of it changed in the journal", warn: false },
  ]);
});

test("a database made during the backup on a dropped one's inode number names its own tables, not the dropped one's", () => {
  const listing = { ident: DATADIR, seq: 0, mode: DIR, entries: [{ name: "old", ident: "1:10", mode: DIR }] };
  const events = [
    bind("1:10", "a.frm", "1:11"), // in old, listed
    bind(DATADIR, "ddl_db3", "1:20", DIR),
    bind("1:20", "x.frm", "1:21"),
    unbind("1:20", "x.frm", "1:21"),
    unbind(DATADIR, "ddl_db3", "1:20"),
    bind(DATADIR, "ddl_db5", "1:20", DIR), // the same inode number, a new database
    bind("1:20", "y.ibd", "1:22"),
    bind("1:20", "#sql-alter-1.frm", "1:23"),
  ];
  expect([...tablesTouched(events, DATADIR, [listing])].sort()).toEqual(["ddl_db3.x", "ddl_db5.y", "old.a"]);
});
