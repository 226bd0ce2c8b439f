// InnoDB's system tablespace in two files: one named by an absolute path in innodb_data_file_path (not copied
// at all before, and prepare's recovery server wrote into the source's file there), and, with
// innodb_file_per_table=OFF, two ibdata files in the datadir holding every table.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLayoutCase, type CasePlace, type LayoutCase } from "../helpers/layout-case";
import { checkServerOnPrepared, databasesOf } from "./prepared-dest";
import { both, rowTable } from "./tables";

const tables = both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria"));

/** `files(at)`: the data file path of the source or of the restored server; `fixed`: options for both. */
function dataFileCase(files: (at: CasePlace) => string, fixed: string[], restoreOptions: boolean): LayoutCase {
  const args = (at: CasePlace) => ["--innodb-data-home-dir=", `--innodb-data-file-path=${files(at)}`, ...fixed];
  let databases: string[] = [];
  return {
    files: (dir) => mkdirSync(join(dir, "abs")),
    installArgs: (dir) => args({ role: "source", dir }),
    serverArgs: args,
    restoreArgs: (at) => {
      if (!restoreOptions) return [];
      const cnf = `${at.datadir}.cnf`;
      writeFileSync(cnf, `[mysqld]\ninnodb_data_home_dir=\ninnodb_data_file_path=${files(at)}\n`);
      return ["--defaults-file", cnf];
    },
    setup: async (db) => {
      await tables.setup(db);
      databases = await databasesOf(db);
    },
    write: tables.write,
    afterPrepare: (dest) => checkServerOnPrepared(dest, databases),
  };
}

const absolute = (at: CasePlace) =>
  `ibdata1:12M;${at.role === "source" ? join(at.dir, "abs") : `${at.datadir}-abs`}/ibdata2:12M:autoextend`;
const twoFiles = () => "ibdata1:12M;ibdata2:12M:autoextend";

describe("layout: an absolute path in innodb_data_file_path", () => {
  test("hb", async () => {
    const r = await runLayoutCase(dataFileCase(absolute, [], true));
    expect(r.writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    const { afterPrepare: _, restoreArgs: __, ...c } = dataFileCase(absolute, [], false);
    const args = (at: CasePlace) => ["--innodb-data-home-dir=", `--innodb-data-file-path=${at.role === "source" ? absolute(at) : twoFiles()}`];
    expect((await runLayoutCase({ ...c, serverArgs: args, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});

describe("layout: innodb_file_per_table=OFF, two ibdata files", () => {
  const layout = () => dataFileCase(twoFiles, ["--innodb-file-per-table=0"], false);
  test("hb", async () => {
    const r = await runLayoutCase(layout());
    expect(r.writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    const { afterPrepare: _, ...c } = layout();
    expect((await runLayoutCase({ ...c, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
