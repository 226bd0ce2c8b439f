// The server SIGKILLed in the middle of a backup, under write load: hb fails at once with a message that says
// so (exit 9), never hangs, and removes what it wrote; the server restarts on its datadir with the shim preloaded, recovers, and a new
// control block serves the next backup, which prepares and checks clean.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertTablesOk, hbPausedAt } from "../helpers/faults";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { startMariaDB } from "../helpers/mariadb";

const TABLES = ["sbtest.sbtest1", "sbtest.sbtest2"];

describe("the server killed during a backup", () => {
  test("hb fails fast and clearly; the server restarts normally and the next backup is good", async () => {
    await using tmp = tempDir("server-killed");
    await using first = await startMariaDB({ binlog: true });
    await sysbenchPrepare(first, { tables: 2, rows: 10_000 });
    const load = sysbenchRun(first, { test: "oltp_write_only", threads: 2 });
    const dest = join(tmp.path, "b1");
    await using hb = await hbPausedAt(first, dest, "copy", ["--throttle", "4M"]);
    process.kill(first.pid, "SIGKILL");
    await load.stop().catch(() => {}); // its connections die with the server
    const killedAt = performance.now();
    hb.proc.kill("SIGCONT");
    const code = await hb.exited;
    const failedAfterMs = performance.now() - killedAt;
    expect(hb.stderr()).toMatch(/the server \(pid \d+\) exited during the backup: this backup is incomplete/);
    expect(code).toBe(9);
    expect(failedAfterMs).toBeLessThan(3000); // not the 5 s end barrier: a dead server has no writers to wait for
    expect(hb.stderr()).toContain(`the backup failed: removed what it wrote in ${dest}`);
    expect(existsSync(dest)).toBe(false);
    await first.kill(); // reaped; its datadir stays for the restart

    await using second = await startMariaDB({ datadir: first.datadir, binlog: true });
    expect(readFileSync(second.errorLog, "utf8")).toContain("ready for connections");
    await assertTablesOk(second, TABLES);
    const dest2 = dest; // the same command again: the failed backup left nothing in its way
    const b = await run([HB, "backup", "--socket", second.socket, "--user", "root", "--json", dest2], { timeoutMs: 120_000 });
    expect(b.code).toBe(0);
    expect((await run([HB, "prepare", dest2], { timeoutMs: 120_000 })).code).toBe(0);
    await using copy = await startMariaDB({ datadir: dest2, binlog: false, serverId: 2 });
    await assertTablesOk(copy, TABLES);
  }, 300_000);
});
