// InnoDB's redo log is copied live part only (src/backup/innodb-redo.ts): the copy of ib_logfile0 is mostly
// a hole, and the backup still recovers to whole statements of a writer that ran through the backup (the
// unit tests in test/unit/innodb-redo.test.ts cover the ring's wrap-around arithmetic).
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB } from "../helpers/mariadb";

describe("InnoDB redo log, live part only", () => {
  test("the copy is sparse, and the prepared backup has every row committed before it ended", async () => {
    await using source = await startMariaDB({ extraArgs: ["--innodb-log-file-size=32M"] });
    await using tmp = tempDir("redo-live");
    await source.query("CREATE DATABASE d");
    await source.query("CREATE TABLE d.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB");
    const writer = await source.connect();
    let writing = true;
    const load = (async () => {
      while (writing) await writer.query("INSERT INTO d.t (v) VALUES (REPEAT('x', 200)), (REPEAT('y', 200)), (REPEAT('z', 200))");
    })();
    await Bun.sleep(1000);
    const dest = join(tmp.path, "b");
    const b = await run([HB, "backup", "--json", "--throttle", "20M", "--socket", source.socket, "--user", "root", dest], { timeoutMs: 120_000 });
    writing = false;
    await load;
    await writer.end();
    expect(b.code).toBe(0);

    const p = await run([HB, "prepare", "--recover", dest], { timeoutMs: 120_000 });
    expect(p.code).toBe(0);
    const log = statSync(join(dest, "ib_logfile0"));
    expect(log.size).toBe(32 << 20);
    expect(log.blocks * 512).toBeLessThan(log.size / 2); // without the live-part copy, all 32 MiB are there

    await using copy = await startMariaDB({ datadir: dest, extraArgs: ["--innodb-log-file-size=32M"] });
    const { n, max } = (await copy.query<{ n: number; max: number }[]>("SELECT COUNT(*) AS n, MAX(id) AS max FROM d.t"))[0]!;
    expect(Number(n)).toBeGreaterThan(0);
    expect(Number(n)).toBe(Number(max)); // whole statements only: no gaps, no torn transaction
    const { k } = (await source.query<{ k: number }[]>(`SELECT COUNT(*) AS k FROM d.t WHERE id <= ${Number(max)}`))[0]!;
    expect(Number(k)).toBe(Number(n));
    expect((await checksumAll(copy)).length).toBeGreaterThan(0);
  }, 120_000);
});
