// What a server backup contains: --include/--exclude by db/table, and the files never backed up (binary
// logs, ibtmp1, pid, #sql-… orphans), also when they appear during the backup.
import { expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";

test("--include and --exclude choose tables; binlogs, ibtmp1, pid files and #sql orphans stay out", async () => {
  await using server = await startMariaDB({ binlog: true });
  await server.query("CREATE DATABASE d");
  for (const t of ["keep1", "keep2", "keep_not", "other"]) await server.query(`CREATE TABLE d.${t} (id INT PRIMARY KEY) ENGINE=InnoDB`);
  await server.query("CREATE DATABASE e");
  await server.query("CREATE TABLE e.t (id INT PRIMARY KEY)");
  writeFileSync(join(server.datadir, "d", "#sql-orphan-1.frm"), "left by a crash");
  await server.query("FLUSH BINARY LOGS"); // a second binlog
  await using tmp = tempDir("scope");
  const dest = join(tmp.path, "b");
  const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--include", "d/keep*", "--exclude", "d/keep_not", dest]);
  expect(r.code).toBe(0);
  expect((await run([HB, "prepare", "--no-recover", dest])).code).toBe(0);
  const d = readdirSync(join(dest, "d")).sort();
  expect(d).toEqual(["db.opt", "keep1.frm", "keep1.ibd", "keep2.frm", "keep2.ibd"]);
  expect(readdirSync(join(dest, "e"))).toEqual(["db.opt"]);
  expect(existsSync(join(dest, "mysql", "user.frm")) || existsSync(join(dest, "mysql", "global_priv.frm"))).toBe(true);
  const top = readdirSync(dest);
  expect(top.filter((n) => /^binlog\./.test(n) || n === "ibtmp1" || n.endsWith(".pid"))).toEqual([]);
  expect(top).toContain("ibdata1");
}, 120_000);
