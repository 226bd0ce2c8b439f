// page_compressed InnoDB tables compressed with lz4, a provider plugin (provider_lz4): the backup records the
// provider in backup-my.cnf and prepare's recovery server loads it to apply the redo log to those pages.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { snapshotDiff, snapshotFiles } from "../helpers/file-snapshot";
import { HB, run } from "../helpers/harness";
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

// A host without the provider (its plugin_dir holds no provider_lz4.so): exit 12 naming the library, with
// DEST as it was, where the recovery server without it called the backup damaged (exit 10).
const noProvider: LayoutCase = {
  ...layout,
  files(dir) {
    mkdirSync(join(dir, "empty-plugin-dir"));
    writeFileSync(join(dir, "no-provider.cnf"), `[mysqld]\nplugin_dir=${join(dir, "empty-plugin-dir")}\n`);
  },
  async beforePrepare(dir, dest) {
    const before = snapshotFiles([dest]);
    const r = await run([HB, "prepare", "--defaults-extra-file", join(dir, "no-provider.cnf"), dest], { timeoutMs: 300_000 });
    expect(r.stderr).toMatch(/plugin library \S*provider_lz4\.so/);
    expect(r.code).toBe(12);
    expect(snapshotDiff(before, snapshotFiles([dest]))).toEqual([]);
  },
};

describe("layout: page_compressed with provider_lz4", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("hb, prepared first where the provider is missing: exit 12, DEST untouched", async () => {
    expect((await runLayoutCase(noProvider)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
