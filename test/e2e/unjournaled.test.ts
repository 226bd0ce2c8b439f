// The journal holds only what the backup keeps: the binlog is left out of the backup, so its writes are left
// out of the journal from the capture's first instant. With the tables and the redo log encrypted and
// encrypt_binlog=OFF, the binlog is the one place a row's plaintext is written: rows inserted during the backup
// with a marker must leave no trace of it in DEST, journal included.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

describe("what the journal leaves out", () => {
  test("rows written to the binlog during a backup are nowhere in DEST when the tables are encrypted", async () => {
    await using keys = tempDir("hb-keys");
    const keyFile = join(keys.path, "keys.txt");
    writeFileSync(keyFile, `1;${"a1b2c3d4".repeat(8)}\n`);
    await using source = await startMariaDB({
      binlog: true,
      extraArgs: [
        "--plugin-load-add=file_key_management",
        `--file-key-management-filename=${keyFile}`,
        "--innodb-encrypt-tables=ON",
        "--innodb-encrypt-log=ON",
        "--encrypt-binlog=OFF",
      ],
    });
    await source.query("CREATE DATABASE secret");
    await source.query("CREATE TABLE secret.t (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(200)) ENGINE=InnoDB ENCRYPTED=YES");
    const marker = `hb-plaintext-${Date.now().toString(36)}`;
    // Inserts only: an insert's undo record holds just the key, and the table's pages and the redo are encrypted.
    const conn = await source.connect();
    let inserted = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await conn.query("INSERT INTO secret.t (note) VALUES (?)", [`${marker} row ${inserted} ${"z".repeat(100)}`]);
        inserted++;
      }
    })();
    try {
      await Bun.sleep(300);
      await using tmp = tempDir("hb-unjournaled");
      const dest = join(tmp.path, "backup");
      const before = inserted;
      const backup = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--throttle", "20M", "--json", dest], {
        timeoutMs: 300_000,
      });
      if (backup.code !== 0) console.error(backup.stderr);
      expect(backup.code).toBe(0);
      const during = inserted - before;
      const result = JSON.parse(backup.stdout);
      writing = false;
      await writer;
      if (process.env.HB_ORACLE_VERBOSE)
        console.error(`unjournaled: ${during} inserts during the backup, journal ${result.journalBytes} bytes in ${result.journalRecords} records`);

      // The binlog has the marker in plaintext, written while the capture ran: before, the journal held it.
      const binlogs = readdirSync(source.datadir).filter((f) => /^binlog\.\d+$/.test(f));
      expect(binlogs.some((f) => readFileSync(join(source.datadir, f)).includes(marker))).toBe(true);
      expect(during).toBeGreaterThan(200);
      expect(result.copyMs).toBeGreaterThan(1000); // the inserts overlapped the copy
      expect(result.journalRecords).toBeGreaterThan(100); // the redo log's writes are journaled still
      const journal = join(dest, ".hb", "journal");
      expect(statSync(journal).size).toBeGreaterThan(0);
      const leaks = files(dest).filter((f) => readFileSync(f).includes(marker));
      expect(leaks).toEqual([]);
    } finally {
      writing = false;
      await writer.catch(() => {});
      await conn.end();
    }
  }, 300_000);
});
