// hb restore: copy-back and move-back of a prepared backup into an empty datadir, a server starts there and
// has the source's tables; a non-empty target, a running server's datadir and an unprepared backup are refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB, type Server, type TableChecksum } from "../helpers/mariadb";

let source: Server;
let want: TableChecksum[];
const tmp = tempDir("restore");

async function preparedBackup(name: string): Promise<string> {
  const dest = join(tmp.path, name);
  expect((await run([HB, "backup", "--socket", source.socket, "--user", "root", dest])).code).toBe(0);
  expect((await run([HB, "prepare", dest], { timeoutMs: 120_000 })).code).toBe(0);
  return dest;
}

beforeAll(async () => {
  source = await startMariaDB({ binlog: true });
  await source.query("CREATE DATABASE d");
  await source.query("CREATE TABLE d.i (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  await source.query("CREATE TABLE d.a (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria");
  await source.query("INSERT INTO d.i VALUES (1,'x'),(2,'y')");
  await source.query("INSERT INTO d.a VALUES (1,'x'),(2,'y')");
  // Databases named like hb's and XtraBackup's records are data all the same.
  for (const db of ["hb_stats", "xtrabackup_x"]) {
    await source.query(`CREATE DATABASE ${db}`);
    await source.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY) ENGINE=InnoDB`);
    await source.query(`INSERT INTO ${db}.t VALUES (1),(2),(3)`);
  }
  want = await checksumAll(source);
}, 120_000);
afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

describe("hb restore", () => {
  for (const move of [false, true])
    test(`${move ? "--move" : "copy"}: a server starts on the restored datadir with the source's tables`, async () => {
      const dest = await preparedBackup(move ? "bm" : "bc");
      const datadir = join(tmp.path, move ? "dm" : "dc");
      const r = await run([HB, "restore", dest, "--datadir", datadir, ...(move ? ["--move"] : [])]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("mariadbd --datadir=");
      expect(readdirSync(datadir).filter((n) => /^(xtrabackup_(?!x$)|\.hb$|hb_(?!stats$))/.test(n))).toEqual([]);
      expect(existsSync(join(dest, "ibdata1"))).toBe(!move);
      await using server = await startMariaDB({ datadir, binlog: false, serverId: 5 });
      expect(await checksumAll(server)).toEqual(want);
    }, 120_000);

  test("--defaults-file: the datadir and InnoDB's redo directory come from the target's option file", async () => {
    const dest = await preparedBackup("bd");
    const datadir = join(tmp.path, "dd");
    const redo = join(tmp.path, "redo");
    const cnf = join(tmp.path, "target.cnf");
    writeFileSync(cnf, `[mysqld]\ndatadir = ${datadir}\ninnodb_log_group_home_dir = ${redo}\n`);
    const r = await run([HB, "restore", dest, "--defaults-file", cnf]);
    expect(r.code).toBe(0);
    expect(readdirSync(redo)).toEqual(["ib_logfile0"]);
    expect(existsSync(join(datadir, "ib_logfile0"))).toBe(false);
    await using server = await startMariaDB({ datadir, binlog: false, serverId: 6, extraArgs: [`--innodb-log-group-home-dir=${redo}`] });
    expect(await checksumAll(server)).toEqual(want);
  }, 120_000);

  test("refuses a non-empty target, a running server's datadir and an unprepared backup (exit 7 / 10)", async () => {
    const dest = await preparedBackup("bx");
    const busy = join(tmp.path, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "something"), "x");
    const nonEmpty = await run([HB, "restore", dest, "--datadir", busy]);
    expect(nonEmpty.code).toBe(7);
    expect(nonEmpty.stderr).toContain("not empty");
    const running = await run([HB, "restore", dest, "--datadir", source.datadir, "--force-non-empty-directories"]);
    expect(running.code).toBe(7);
    expect(running.stderr).toMatch(/pid \d+\) runs in/);
    const raw = join(tmp.path, "unprepared");
    expect((await run([HB, "backup", "--socket", source.socket, "--user", "root", raw])).code).toBe(0);
    const unprepared = await run([HB, "restore", raw, "--datadir", join(tmp.path, "never")]);
    expect(unprepared.code).toBe(10);
    expect(unprepared.stderr).toContain("hb prepare");
    expect(existsSync(join(tmp.path, "never"))).toBe(false);
  }, 120_000);
});
