// Writable shared mappings in any number: Mroonga keeps every table, column and index in files it maps
// MAP_SHARED and writes through the mapping, which the shim cannot journal; hb copies those files again under
// the final lock. Twelve FULLTEXT tables map over a hundred files (the shim used to track 64, then refuse the
// backup). Backed up under writes, prepared and restored, every table checks OK and, rolled forward with the
// source's binlog, equals the source, full-text searches included.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyBinlogFrom } from "../helpers/binlog";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB, type Server } from "../helpers/mariadb";

const TABLES = 12;
const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

/** Files the server has mapped writable and shared, by path. */
function sharedWritableFiles(pid: number): Set<string> {
  const lines = readFileSync(`/proc/${pid}/maps`, "utf8").split("\n");
  return new Set(lines.filter((l) => /^\S+ .w.s /.test(l)).map((l) => l.split(/\s+/).slice(5).join(" ")).filter((p) => p.startsWith("/")));
}

/** Matches per word in every table: what the full-text indexes answer. */
async function searches(server: Server): Promise<string[]> {
  const out: string[] = [];
  for (let t = 0; t < TABLES; t++)
    for (const w of words.slice(0, 3)) {
      const [row] = await server.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM m.t${t} WHERE MATCH(body) AGAINST(?)`, [w]);
      out.push(`t${t} ${w} ${row!.n}`);
    }
  return out;
}

describe("Mroonga", () => {
  test("over 64 files mapped writable and shared: backup under writes, prepare, restore, CHECK TABLE, checksums", async () => {
    await using source = await startMariaDB({ binlog: true });
    await source.query("INSTALL SONAME 'ha_mroonga'");
    await source.query("CREATE DATABASE m");
    for (let t = 0; t < TABLES; t++) {
      await source.query(
        `CREATE TABLE m.t${t} (id INT PRIMARY KEY AUTO_INCREMENT, title VARCHAR(100), body TEXT, FULLTEXT(title), FULLTEXT(body)) ENGINE=Mroonga DEFAULT CHARSET=utf8mb4`,
      );
      for (let i = 0; i < 50; i++)
        await source.query(`INSERT INTO m.t${t} (title, body) VALUES (?, ?)`, [`title ${i}`, `${words[i % 8]} ${words[(i * 3) % 8]} row ${i}`]);
    }
    expect(sharedWritableFiles(source.pid).size).toBeGreaterThan(64);

    const conn = await source.connect();
    let writing = true;
    let statements = 0;
    const writer = (async () => {
      while (writing) {
        const t = statements % TABLES, w = words[statements % 8]!;
        if (statements % 3 === 2) await conn.query(`UPDATE m.t${t} SET body = CONCAT(body, ' ', ?) WHERE id = ?`, [w, 1 + (statements % 50)]);
        else await conn.query(`INSERT INTO m.t${t} (title, body) VALUES (?, ?)`, [`new ${statements}`, `${w} fresh ${statements}`]);
        statements++;
        await Bun.sleep(2);
      }
    })();
    await using tmp = tempDir("hb-mroonga");
    const dest = join(tmp.path, "backup");
    let during = 0;
    try {
      await Bun.sleep(300);
      const before = statements;
      const backup = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--throttle", "50M", "--json", dest], {
        timeoutMs: 300_000,
      });
      during = statements - before;
      if (backup.code !== 0) console.error(backup.stderr);
      expect(backup.code).toBe(0);
    } finally {
      writing = false;
      await writer.catch(() => {});
      await conn.end();
    }
    expect(during).toBeGreaterThan(100); // the writes overlapped the backup
    expect(sharedWritableFiles(source.pid).size).toBeGreaterThan(64);

    const prepare = await run([HB, "prepare", dest], { timeoutMs: 300_000 });
    if (prepare.code !== 0) console.error(prepare.stderr);
    expect(prepare.code).toBe(0);
    const datadir = join(tmp.path, "restored");
    const restore = await run([HB, "restore", dest, "--datadir", datadir], { timeoutMs: 300_000 });
    if (restore.code !== 0) console.error(restore.stderr);
    expect(restore.code).toBe(0);

    const [file, position] = readFileSync(join(dest, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
    await using replica = await startMariaDB({ datadir, binlog: false, serverId: 2, shim: false });
    for (let t = 0; t < TABLES; t++) {
      const rows = await replica.query<{ Msg_type: string; Msg_text: string }[]>(`CHECK TABLE m.t${t}`);
      expect(rows.map((r) => `${r.Msg_type} ${r.Msg_text}`)).toEqual(["status OK"]);
    }
    await applyBinlogFrom(source, replica, file!, position!);
    expect(await checksumAll(replica)).toEqual(await checksumAll(source));
    expect(await searches(replica)).toEqual(await searches(source));
  }, 600_000);
});
