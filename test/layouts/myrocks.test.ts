// MyRocks with its default rocksdb_manual_wal_flush=ON (commit records wait in the server's memory until a
// flush) and InnoDB, both written through the backup: the restored server must start without heuristic
// recovery, its MyRocks transactions committed as the binlog position says.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const layout: LayoutCase = {
  serverArgs: () => ["--plugin-load-add=ha_rocksdb"],
  ...both(rowTable("rocks", "ENGINE=ROCKSDB"), rowTable("inno", "ENGINE=InnoDB")),
};

describe("layout: MyRocks under writes", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  // mariabackup's MyRocks checkpoint hard-links the source's #rocksdb files into the backup, and its prepare or
  // copy-back changes their link count: the one check it cannot pass, tolerated here and only here.
  test("mariabackup (control; it changes the link count of the source's #rocksdb files)", async () => {
    const control: LayoutCase = { ...layout, control: "mariabackup", toleratedSourceChanges: /\/#rocksdb\/[^:]*: file / };
    expect((await runLayoutCase(control)).writes).toBeGreaterThan(0);
  }, 240_000);
});
