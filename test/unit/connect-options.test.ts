// Connection options resolve like the mysql client's: option-file groups in order, MYSQL_PWD, flags last.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConnection } from "../../src/connect/options";
import { tempDir } from "../helpers/harness";

const saved = process.env.MYSQL_PWD;
afterEach(() => {
  if (saved === undefined) delete process.env.MYSQL_PWD;
  else process.env.MYSQL_PWD = saved;
});

test("[client] < [hb], includes followed, quotes and comments understood, flags win", () => {
  using tmp = tempDir("opts");
  mkdirSync(join(tmp.path, "conf.d"));
  writeFileSync(join(tmp.path, "conf.d", "a.cnf"), "[hb]\nuser = backup   # the backup account\n");
  writeFileSync(
    join(tmp.path, "my.cnf"),
    `[client]\nuser=app\npassword="p#ss word"\nsocket=/run/x.sock\n[mysqld]\nuser=mysql\n!includedir ${join(tmp.path, "conf.d")}\n`,
  );
  delete process.env.MYSQL_PWD;
  const o = resolveConnection({ defaultsFile: join(tmp.path, "my.cnf") });
  expect(o).toMatchObject({ user: "backup", password: "p#ss word", socket: "/run/x.sock" });
  expect(o.sources).toEqual([join(tmp.path, "my.cnf")]);
  expect(resolveConnection({ defaultsFile: join(tmp.path, "my.cnf"), user: "root", socket: "/s" })).toMatchObject({ user: "root", socket: "/s" });
});

test("MYSQL_PWD beats option files, a --password flag beats MYSQL_PWD", () => {
  using tmp = tempDir("opts");
  writeFileSync(join(tmp.path, "my.cnf"), "[client]\npassword=fromfile\n");
  process.env.MYSQL_PWD = "fromenv";
  expect(resolveConnection({ defaultsFile: join(tmp.path, "my.cnf") }).password).toBe("fromenv");
  expect(resolveConnection({ defaultsFile: join(tmp.path, "my.cnf"), password: "flag" }).password).toBe("flag");
});

test("host other than localhost means TCP on 3306; a missing --defaults-file is a usage error", () => {
  using tmp = tempDir("opts");
  writeFileSync(join(tmp.path, "my.cnf"), "[client]\nhost=db1\n");
  expect(resolveConnection({ defaultsFile: join(tmp.path, "my.cnf") })).toMatchObject({ host: "db1", port: 3306, socket: undefined });
  expect(() => resolveConnection({ defaultsFile: join(tmp.path, "nope.cnf") })).toThrow(/does not exist/);
});
