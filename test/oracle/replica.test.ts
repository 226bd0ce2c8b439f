// The replica oracle: InnoDB load, Aria and MyISAM writes and a DDL storm
// run while hb backs the server up, throttled so they overlap the copy by seconds. The backup is prepared,
// a server started on it, and the source's binlog applied from the coordinates in xtrabackup_binlog_info;
// then every table and its CHECKSUM TABLE must equal the source's.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ddlStorm } from "../helpers/ddl-storm";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun, writeLoop } from "../helpers/load";
import { startMariaDB } from "../helpers/mariadb";
import { rollForwardAndCompare } from "../helpers/replica-oracle";

describe("replica oracle", () => {
  test("a backup under load and DDL, prepared and rolled forward, equals the source", async () => {
    await using source = await startMariaDB({ binlog: true });
    await sysbenchPrepare(source, { tables: 4, rows: 20_000 });
    const aria = await writeLoop(source, { engine: "Aria", table: "aria_t", ratePerSec: 200 });
    const myisam = await writeLoop(source, { engine: "MyISAM", table: "myisam_t", ratePerSec: 200 });
    const storm = await ddlStorm(source);
    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
    await Bun.sleep(1000);
    await using tmp = tempDir("replica-oracle");
    const dest = join(tmp.path, "backup");
    const backup = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--throttle", "20M", "--json", dest], {
      timeoutMs: 300_000,
    });
    expect(backup.stderr).toContain("backup complete");
    expect(backup.code).toBe(0);
    const result = JSON.parse(backup.stdout);
    await Bun.sleep(500); // load goes on after the backup: the binlog must carry it
    const [loadResult, ddl] = await Promise.all([load.stop(), storm.stop(), aria.stop(), myisam.stop()]).then(([l, d]) => [l, d] as const);
    expect(loadResult.transactions).toBeGreaterThan(1000);
    expect(ddl.length).toBeGreaterThan(20); // DDL ran during the backup
    expect(result.copyMs).toBeGreaterThan(2000); // the load overlapped the copy by seconds
    expect(result.bytesLeftOut).toBeGreaterThan(0); // writes the copy read were not journaled, and it still equals

    const prepare = await run([HB, "prepare", "--json", dest], { timeoutMs: 300_000 });
    if (prepare.code !== 0) console.error(prepare.stderr);
    expect(prepare.code).toBe(0);
    expect(JSON.parse(prepare.stdout).recovered).toBe(true); // the server's own recovery ran in prepare
    expect(readFileSync(join(dest, "xtrabackup_checkpoints"), "utf8")).toContain("backup_type = full-prepared");
    expect((await run([HB, "prepare", dest])).stderr).toContain("already prepared");
    const { want, got, beforeBinlog, cleanStart } = await rollForwardAndCompare(source, dest);
    expect(cleanStart).toBe(true); // prepare already ran the server's crash recovery
    expect(beforeBinlog).not.toEqual(want); // the source went on after the backup: the binlog must matter
    expect(got.map((t) => t.table)).toEqual(want.map((t) => t.table));
    expect(got).toEqual(want);
    expect(want.filter((t) => t.checksum !== null).length).toBeGreaterThan(8);
    if (process.env.HB_ORACLE_VERBOSE)
      console.error(`replica oracle: ${want.length} tables, ${ddl.length} DDL, ${loadResult.transactions} trx, lock ${result.lockTimeMs} ms, copy ${result.copyMs} ms`);
  }, 600_000);
});
