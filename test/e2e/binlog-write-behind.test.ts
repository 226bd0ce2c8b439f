// During a backup the binlog's new bytes are sent to the disk a little at a time, following the server to
// each new binlog, so that the presync before the lock has next to nothing left to write in one burst.
import { expect, test } from "bun:test";
import { statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { BinlogWriteBehind } from "../../src/backup/binlog-write-behind";
import { connect } from "../../src/connect/client";
import { startMariaDB } from "../helpers/mariadb";

async function until(what: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(50)) if (what()) return true;
  return what();
}

test("the binlog is written behind the server up to its end, across a rotation, until the presync", async () => {
  await using server = await startMariaDB({ binlog: true });
  const db = await connect({ socket: server.socket, user: "root", sources: [] });
  try {
    const [{ base }] = await db.query<[{ base: string }]>("SELECT @@log_bin_basename AS base");
    await db.query("CREATE TABLE test.wb (id INT AUTO_INCREMENT PRIMARY KEY, pad LONGTEXT) ENGINE=InnoDB");
    const fill = async () => {
      for (let i = 0; i < 8; i++) await db.query("INSERT INTO test.wb (pad) VALUES (?)", ["x".repeat(1_000_000)]); // logged with its literal
    };
    const current = async () => (await db.query<{ File: string }[]>("SHOW MASTER STATUS"))[0]!.File;
    const wb = new BinlogWriteBehind(db, base);
    wb.start();
    await fill();
    const first = await current();
    const firstPath = join(dirname(base), first);
    expect(await until(() => wb.position.sent === statSync(firstPath).size)).toBe(true);
    expect(basename(wb.position.file!)).toBe(first);

    await db.query("FLUSH BINARY LOGS");
    await fill();
    const second = await current();
    expect(second).not.toBe(first);
    const secondPath = join(dirname(base), second);
    expect(await until(() => wb.position.file === secondPath && wb.position.sent === statSync(secondPath).size)).toBe(true);
    expect(statSync(secondPath).size).toBeGreaterThan(8_000_000);

    await wb.presync();
    expect(wb.position.file).toBeUndefined(); // stopped, its descriptor closed
  } finally {
    await db.close();
  }
}, 60_000);
