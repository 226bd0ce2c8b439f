// innodb_data_home_dir and innodb_log_group_home_dir outside the datadir: prepare used to exit 0 after its
// recovery server had made a fresh system tablespace and redo log in DEST, the real ones untouched in hb_root1.
import { describe, expect, test } from "bun:test";
import { runLayoutCase } from "../helpers/layout-case";
import { directoryCase, sourceOnly } from "./directories";

const paths = { "innodb-data-home-dir": "ibdata", "innodb-log-group-home-dir": "redo" };

describe("layout: InnoDB system tablespace and redo log outside the datadir", () => {
  test("hb", async () => {
    const r = await runLayoutCase(directoryCase(paths));
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("lay.inno");
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...sourceOnly(paths), control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
