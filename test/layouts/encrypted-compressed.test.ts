// Encryption at rest and page_compressed lz4 tables together: both plugins in backup-my.cnf, both loaded by
// the recovery server.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { ENCRYPT_ALL, keyManagementArgs, LZ4, writeKeyFiles } from "./options";
import { both, checkpointNow, rowTable } from "./tables";

const tables = both(rowTable("lz", "ENGINE=InnoDB PAGE_COMPRESSED=1"), rowTable("aria", "ENGINE=Aria"));
const layout: LayoutCase = {
  files: writeKeyFiles,
  serverArgs: ({ dir }) => [...keyManagementArgs(dir), ...ENCRYPT_ALL, ...LZ4],
  remoteBinlog: true,
  ...tables,
  async setup(db) {
    await tables.setup(db);
    await checkpointNow(db); // the writer's redo then applies to encrypted, compressed pages on disk
  },
};

describe("layout: encryption with page_compressed lz4", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
