// hb_ddl.log lists exactly the table DDL that ran during the backup window, with names decoded.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, tempDir, testEnv } from "../helpers/harness";
import { sysbenchPrepare } from "../helpers/load";
import { startMariaDB } from "../helpers/mariadb";

test("hb_ddl.log lists the DDL run while the copy ran, and nothing else", async () => {
  await using server = await startMariaDB({ binlog: true });
  await sysbenchPrepare(server, { tables: 2, rows: 20_000 });
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.before_backup (id INT PRIMARY KEY)"); // before: not listed
  await server.query("CREATE TABLE d.gone (id INT PRIMARY KEY) ENGINE=MyISAM");
  await using tmp = tempDir("ddl-log");
  const hb = Bun.spawn([HB, "backup", "--socket", server.socket, "--user", "root", "--throttle", "16M", "--json", join(tmp.path, "b")], {
    env: testEnv,
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = hb.stderr.getReader();
  let err = "";
  while (!err.includes("capture began")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`hb ended early: ${err}`);
    err += new TextDecoder().decode(value);
  }
  for (const sql of [
    "CREATE TABLE d.`a$b` (id INT PRIMARY KEY, v INT) ENGINE=InnoDB",
    "RENAME TABLE d.`a$b` TO d.renamed",
    "ALTER TABLE d.renamed FORCE",
    "TRUNCATE TABLE d.renamed",
    "DROP TABLE d.gone",
    "CREATE DATABASE `new-db`",
  ])
    await server.query(sql);
  const [out, code] = await Promise.all([new Response(hb.stdout).text(), hb.exited]);
  expect(code).toBe(0);
  expect(JSON.parse(out).ddlDisagreements).toEqual([]);
  const lines = readFileSync(join(tmp.path, "b", "hb_ddl.log"), "utf8").trim().split("\n").map((l) => l.split("\t").slice(1).join(" "));
  expect(lines).toEqual([
    "created d.a$b",
    "renamed d.a$b d.renamed",
    "rebuilt d.renamed",
    "truncated d.renamed",
    "dropped d.gone",
    "created database new-db",
  ]);
}, 120_000);
