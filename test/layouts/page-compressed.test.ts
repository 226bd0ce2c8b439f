// page_compressed InnoDB tables compressed with lz4, a provider plugin (provider_lz4): the backup records the
// provider in backup-my.cnf and prepare's recovery server loads it to apply the redo log to those pages.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { LZ4 } from "./options";
import { both, checkpointNow, rowTable } from "./tables";

const tables = both(rowTable("lz", "ENGINE=InnoDB PAGE_COMPRESSED=1"), rowTable("plain", "ENGINE=InnoDB"));
const layout: LayoutCase = {
  serverArgs: () => LZ4,
  ...tables,
  async setup(db) {
    await tables.setup(db);
    await checkpointNow(db); // the writer's redo then applies to lz4-compressed pages on disk
  },
};

describe("layout: page_compressed with provider_lz4", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
