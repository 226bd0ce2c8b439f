// The paths a server backup asks the shim to leave out of the journal: each one left out of the backup by the
// very predicate the walker uses, and nothing the backup keeps, however its name resembles them.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultExcludes } from "../../src/backup/server";
import { unjournaledPaths } from "../../src/capture/unjournaled";
import type { ServerInfo } from "../../src/discover/server";
import { leftOut } from "../../src/paths";
import { tempDir } from "../helpers/harness";

/** What the shim does with the list (shim/server/fdcache.c, hb_unjournaled). */
function unjournaled(list: string[], abs: string): boolean {
  return list.some((e) => (e.endsWith("*") ? abs.startsWith(e.slice(0, -1)) && !abs.slice(e.length - 1).includes("/") : abs === e));
}

describe("unjournaledPaths", () => {
  test("binlogs, relay logs, ibtmp, the server's logs and excluded tables' files; nothing the backup keeps", () => {
    using tmp = tempDir("hb-unjournaled");
    const d = tmp.path;
    const info = {
      datadir: d,
      logBinBasename: join(d, "binlog"),
      relayLogBasename: join(d, "relay"),
      pidFile: join(d, "host.pid"),
      errorLog: join(d, "host.err"),
      generalLogFile: join(d, "general.log"),
      slowLogFile: "/var/log/slow.log", // outside the datadir: not the datadir's to leave out
    } as ServerInfo;
    const kept = ["binlog.state", "binlogX.000001", "ibdata1", "ib_logfile0", "mysql/user.MAD", "shop/orders.ibd", "shop/db.opt", "shop/#sql-alter.ibd"];
    const dropped = ["binlog.000001", "binlog.000123", "binlog.index", "relay.000002", "relay.index", "ibtmp1", "host.pid", "host.err", "general.log", "logs/t.ibd", "logs/t.frm", "shop/archive.ibd"];
    for (const dir of ["mysql", "shop", "logs", "ibtmpdb"]) mkdirSync(join(d, dir));
    for (const f of [...kept, ...dropped]) writeFileSync(join(d, f), "");
    const skip = leftOut([], [...defaultExcludes(info), "logs/*", "shop/archive.*"]);

    const list = unjournaledPaths(info, skip);
    expect(dropped.filter((f) => !unjournaled(list, join(d, f)))).toEqual([]);
    expect(kept.filter((f) => unjournaled(list, join(d, f)))).toEqual([]);
    // Files that do not exist yet: the next binlogs are covered, a table created later is not (journaled as before).
    expect(unjournaled(list, join(d, "binlog.999999"))).toBe(true);
    expect(unjournaled(list, join(d, "logs/new.ibd"))).toBe(false);
    expect(unjournaled(list, join(d, "ibtmpdb/t.ibd"))).toBe(false); // `ibtmp*` names no file below a directory
    for (const e of list) expect(skip(e.slice(d.length + 1).replace(/\*$/, "1"))).toBe(true);
  });

  test("--include: the tables left out are passed, the included ones and the system schemas are not", () => {
    using tmp = tempDir("hb-unjournaled");
    const d = tmp.path;
    const info = { datadir: d, pidFile: join(d, "x.pid") } as ServerInfo;
    for (const dir of ["mysql", "shop"]) mkdirSync(join(d, dir));
    for (const f of ["mysql/db.MAD", "shop/orders.ibd", "shop/other.ibd", "shop/db.opt"]) writeFileSync(join(d, f), "");
    const list = unjournaledPaths(info, leftOut(["shop/orders.*"], defaultExcludes(info)));
    expect(list.filter((p) => p.includes("/shop/") || p.includes("/mysql/"))).toEqual([join(d, "shop/other.ibd")]);
  });
});
