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
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
