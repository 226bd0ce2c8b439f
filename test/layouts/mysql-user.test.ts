// A server that runs as the mysql user (mariadbd --user=mysql, its datadir owned by mysql), backed up by hb
// as root: the shim journals from inside a process of another user, and the restored datadir, created by the
// target's owner, gets files owned by mysql.
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const mysql = { uid: Number(Bun.spawnSync(["id", "-u", "mysql"]).stdout.toString()), gid: Number(Bun.spawnSync(["id", "-g", "mysql"]).stdout.toString()) };

function layout(): LayoutCase {
  let restored = "";
  const tables = both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria"));
  return {
    files: (dir) => chmodSync(dirname(dir), 0o711), // the case's temp dir: mysql reaches its datadir through it
    installArgs: ["--user=mysql"],
    serverArgs: () => ["--user=mysql"],
    setup: async (db) => {
      await tables.setup(db);
      const [[{ dir }]] = (await db.query("SELECT @@datadir AS dir")) as unknown as [[{ dir: string }]];
      expect(statSync(join(dir, "binlog.000001")).uid).toBe(mysql.uid); // the server itself runs as mysql
    },
    write: tables.write,
    restoreArgs: (at) => {
      restored = at.datadir!;
      mkdirSync(restored); // the target's datadir, as its package makes it: empty and the server's
      chownSync(restored, mysql.uid, mysql.gid);
      return [];
    },
  };
}

describe("layout: a server running as the mysql user", () => {
  test("hb", async () => {
    const c = layout();
    const r = await runLayoutCase(c);
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("lay.inno");
  }, 240_000);
  test("mariabackup (control)", async () => {
    const { restoreArgs: _, ...c } = layout();
    expect((await runLayoutCase({ ...c, serverArgs: (at) => (at.role === "source" ? ["--user=mysql"] : []), control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
