// Data at rest encrypted with file_key_management (tables, redo, Aria, binlog, temporary files), its key file
// outside the datadir: the backup records the plugin and its options in backup-my.cnf (the key file by path,
// never its contents), and prepare's recovery server loads it.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { ENCRYPT_ALL, expectNoKeyMaterial, FILE_KEY, KEY_FILE, keyManagementArgs, writeKeyFiles } from "./options";
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

// The key files inside the source's datadir, given by relative paths (the server resolves them from there):
// they stay out of DEST, and backup-my.cnf names them by their absolute paths.
const keysInDatadir: LayoutCase = {
  ...layout,
  installArgs: [],
  files: (_dir, datadir) => writeKeyFiles(datadir!),
  serverArgs: ({ role, dir }) => [
    "--plugin-load-add=file_key_management",
    `--file-key-management-filename=${role === "source" ? KEY_FILE : join(dir, "..", "source-data", KEY_FILE)}`,
    `--file-key-management-filekey=FILE:${role === "source" ? FILE_KEY : join(dir, "..", "source-data", FILE_KEY)}`,
    ...ENCRYPT_ALL,
  ],
  async beforePrepare(dir, dest) {
    const source = join(dir, "..", "source-data");
    expectNoKeyMaterial(dest, [readFileSync(join(source, KEY_FILE)), readFileSync(join(source, FILE_KEY))]);
    expect(readFileSync(join(dest, "backup-my.cnf"), "utf8")).toContain(`file_key_management_filename=${join(dir, "..", "source-data", KEY_FILE)}`);
  },
};

describe("layout: encryption, the key files in the datadir", () => {
  test("hb", async () => {
    expect((await runLayoutCase(keysInDatadir)).writes).toBeGreaterThan(0);
  }, 240_000);
});
