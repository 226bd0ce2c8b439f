// Data at rest encrypted with file_key_management (tables, redo, Aria, binlog, temporary files), its key file
// outside the datadir: the backup records the plugin and its options in backup-my.cnf (the key file by path,
// never its contents), and prepare's recovery server loads it.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { ENCRYPT_ALL, keyManagementArgs, writeKeyFiles } from "./options";
import { both, rowTable } from "./tables";

const layout: LayoutCase = {
  files: writeKeyFiles,
  serverArgs: ({ dir }) => [...keyManagementArgs(dir), ...ENCRYPT_ALL],
  remoteBinlog: true,
  ...both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria")),
};

describe("layout: encryption at rest", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
