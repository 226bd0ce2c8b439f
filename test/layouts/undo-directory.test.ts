// innodb_undo_directory outside the datadir with 3 undo tablespaces: prepare used to fail ("Malformed log
// record": the undo files were in DEST/hb_root1 while backup-my.cnf said ./), and restore checked the source's
// undo directory instead of the target's.
import { describe, expect, test } from "bun:test";
import { runLayoutCase } from "../helpers/layout-case";
import { directoryCase, sourceOnly } from "./directories";

const paths = { "innodb-undo-directory": "undo" };
const fixed = ["--innodb-undo-tablespaces=3"];

describe("layout: undo tablespaces outside the datadir", () => {
  test("hb", async () => {
    const r = await runLayoutCase(directoryCase(paths, fixed));
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("lay.inno");
  }, 240_000);
  // --include names user tables by database/file: the undo files, under no database, stay all the same.
  test("hb --include", async () => {
    const r = await runLayoutCase({ ...directoryCase(paths, fixed), backupArgs: ["--include", "lay/*"] });
    expect(r.tables).toContain("lay.inno");
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...sourceOnly(paths, fixed), control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
