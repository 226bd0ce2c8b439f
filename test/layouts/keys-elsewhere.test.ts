// Prepare on "another host": the key file is not where backup-my.cnf says (moved away). hb prepare then exits
// 12 (plugin) naming file_key_management_filename; given a key file that lacks the key, the plugin does not
// start, and that is exit 12 too, not "damaged"; DEST is as it was after both. With --defaults-extra-file
// naming the key file's new place, prepare succeeds and the whole case passes.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { snapshotDiff, snapshotFiles } from "../helpers/file-snapshot";
import { HB, run } from "../helpers/harness";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { ENCRYPT_ALL, expectNoKeyMaterial, FILE_KEY, KEY_FILE, keyManagementArgs, writeKeyFiles } from "./options";
import { both, rowTable } from "./tables";

const elsewhere = (dir: string) => join(dir, "host2");
// The option file a DBA writes on the other host: where its key files are.
const extraFile = (dir: string, keys: string) => join(dir, `${keys}.cnf`);
const writeExtraFile = (dir: string, keys: string) =>
  writeFileSync(extraFile(dir, keys), `[mysqld]\nfile_key_management_filename=${join(elsewhere(dir), keys)}\nfile_key_management_filekey=FILE:${join(elsewhere(dir), FILE_KEY)}\n`);

async function failsForTheKey(args: string[], dest: string, named: RegExp): Promise<void> {
  const r = await run([HB, "prepare", ...args, dest], { timeoutMs: 300_000 });
  expect(r.stderr).toMatch(named);
  expect(r.code).toBe(12);
}

const layout: LayoutCase = {
  async files(dir) {
    await writeKeyFiles(dir);
    mkdirSync(elsewhere(dir));
    cpSync(join(dir, KEY_FILE), join(elsewhere(dir), KEY_FILE));
    cpSync(join(dir, FILE_KEY), join(elsewhere(dir), FILE_KEY));
    // A key file without key 1, the one the redo log was written with.
    const r = await run(["sh", "-c", `printf '2;${"b2".repeat(32)}\\n' | openssl enc -aes-256-cbc -md sha1 -pass file:${join(dir, FILE_KEY)} -out ${join(elsewhere(dir), "nokey1.enc")}`]);
    if (r.code !== 0) throw new Error(r.stderr);
    writeExtraFile(dir, KEY_FILE);
    writeExtraFile(dir, "nokey1.enc");
  },
  serverArgs: ({ dir, role }) => [...keyManagementArgs(role === "source" ? dir : elsewhere(dir)), ...ENCRYPT_ALL],
  remoteBinlog: true,
  async beforePrepare(dir, dest) {
    renameSync(join(dir, KEY_FILE), join(dir, `${KEY_FILE}.away`));
    const before = snapshotFiles([dest]);
    await failsForTheKey([], dest, /file_key_management_filename=\S*keys\.enc: no such file/);
    await failsForTheKey(["--defaults-extra-file", extraFile(dir, "nokey1.enc")], dest, /key id 1 is missing/);
    expect(snapshotDiff(before, snapshotFiles([dest]))).toEqual([]); // both found out before DEST was touched
  },
  prepareArgs: (dir) => ["--defaults-extra-file", extraFile(dir, KEY_FILE)],
  async afterRestore(dir) {
    renameSync(join(dir, `${KEY_FILE}.away`), join(dir, KEY_FILE));
  },
  ...both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria")),
};

// The file key given in plain text (not FILE:): a secret that backup-my.cnf leaves out, and that no file in DEST
// holds, nor the key file's bytes; prepare asks for it (exit 12 naming it) and takes it from the extra file.
const SECRET = "plain-secret-file-key";
const plainKey: LayoutCase = {
  ...layout,
  async files(dir) {
    await writeKeyFiles(dir, SECRET);
    writeFileSync(join(dir, "secret.cnf"), `[mysqld]\nfile_key_management_filekey=${SECRET}\n`);
  },
  serverArgs: ({ dir }) => [...keyManagementArgs(dir).filter((a) => !a.includes("filekey")), `--file-key-management-filekey=${SECRET}`, ...ENCRYPT_ALL],
  async beforePrepare(dir, dest) {
    expect(readFileSync(join(dest, "backup-my.cnf"), "utf8")).toContain("# file_key_management_filekey: a secret");
    expectNoKeyMaterial(dest, [Buffer.from(SECRET), readFileSync(join(dir, KEY_FILE))]);
    await failsForTheKey([], dest, /file_key_management_filekey \(a secret left out of backup-my\.cnf\)/);
  },
  prepareArgs: (dir) => ["--defaults-extra-file", join(dir, "secret.cnf")],
  afterRestore: undefined,
};

// A backup-my.cnf without plugin lines, as hb wrote before it recorded them: the redo log is encrypted and no key
// plugin is named; that is exit 12, not "damaged", found before a server starts on DEST, and prepare run again
// with the plugin and its options in --defaults-extra-file runs the recovery it still owes.
const unrecorded: LayoutCase = {
  ...layout,
  async files(dir) {
    await writeKeyFiles(dir);
    const options = keyManagementArgs(dir).map((a) => a.replace(/^--/, "").replace("plugin-load-add=file_key_management", "plugin-load=file_key_management=file_key_management.so"));
    writeFileSync(join(dir, "plugins.cnf"), `[mysqld]\n${[...options, "innodb-encrypt-log=ON"].join("\n")}\n`);
  },
  serverArgs: ({ dir }) => [...keyManagementArgs(dir), ...ENCRYPT_ALL],
  async beforePrepare(_dir, dest) {
    const cnf = join(dest, "backup-my.cnf");
    const kept = readFileSync(cnf, "utf8").split("\n").filter((l) => !/^(plugin_|file_key_management_|innodb_encrypt|aria_encrypt|encrypt_tmp)/.test(l));
    writeFileSync(cnf, kept.join("\n"));
    await failsForTheKey([], dest, /the redo log is encrypted and backup-my.cnf loads no key management plugin[^]*--defaults-extra-file/);
  },
  prepareArgs: (dir) => ["--defaults-extra-file", join(dir, "plugins.cnf")],
  afterRestore: undefined,
};

describe("layout: encryption, prepared where the key file is elsewhere", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("hb, backup-my.cnf without the plugin: exit 12, then prepare again with it", async () => {
    expect((await runLayoutCase(unrecorded)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("hb, the file key in plain text: not in DEST, given to prepare", async () => {
    expect((await runLayoutCase(plainKey)).writes).toBeGreaterThan(0);
  }, 240_000);
});
