// --throttle auto (the default) against a real server: an idle server gets a full-speed copy and is never
// held for; under a write load the copy is held to measure the server and paced, and the backup it makes is
// still exact (the replica oracle: prepared, rolled forward with the binlog, equal to the source); a server
// running one long statement is busy too.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { startMariaDB } from "../helpers/mariadb";
import { rollForwardAndCompare } from "../helpers/replica-oracle";

describe("--throttle auto", () => {
  test("idle server: no holds, no limit; busy server: held, paced, and the backup equals the source", async () => {
    await using source = await startMariaDB({ binlog: true });
    await sysbenchPrepare(source, { tables: 4, rows: 20_000 });
    await using tmp = tempDir("throttle-auto");
    const backup = async (dest: string) => {
      const r = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--json", join(tmp.path, dest)], { timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout);
    };

    const idle = await backup("idle");
    expect(idle.autoThrottle).toMatchObject({ holds: 0, lastRate: 0 });

    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 4 });
    await Bun.sleep(1000);
    const busy = await backup("busy");
    await Bun.sleep(300);
    const l = await load.stop();
    expect(l.transactions).toBeGreaterThan(1000);
    expect(busy.autoThrottle.holds).toBeGreaterThan(0);
    expect(busy.autoThrottle.lastRate).toBeGreaterThan(0);

    const dest = join(tmp.path, "busy");
    expect((await run([HB, "prepare", dest], { timeoutMs: 300_000 })).code).toBe(0);
    const { want, got } = await rollForwardAndCompare(source, dest);
    expect(got).toEqual(want);
    expect(want.length).toBe(4); // the sbtest tables
  }, 300_000);

  test("a server busy with one long statement is not idle: the copy is held for and paced", async () => {
    await using source = await startMariaDB();
    await sysbenchPrepare(source, { tables: 4, rows: 20_000 });
    await using tmp = tempDir("throttle-auto-long");
    // One statement, hundreds of thousands of InnoDB rows a second, until it is killed: a batch job, or a
    // report. It adds one to the statement counter in all.
    const report = await source.connect();
    const id = ((await report.query("SELECT CONNECTION_ID() AS id"))[0] as { id: number }[])[0]!.id;
    const running = report
      .query("SELECT STRAIGHT_JOIN COUNT(*) FROM test.seq_1_to_1000000000 s JOIN sbtest.sbtest1 t ON t.id = s.seq % 20000 + 1")
      .catch((e: { code?: string }) => e.code);
    await Bun.sleep(500);
    const r = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--json", join(tmp.path, "b")], { timeoutMs: 120_000 });
    await source.query(`KILL QUERY ${id}`);
    expect(await running).toBe("ER_QUERY_INTERRUPTED"); // it ran through the whole backup
    await report.end();
    expect(r.code).toBe(0);
    const { autoThrottle } = JSON.parse(r.stdout);
    expect(autoThrottle.holds).toBeGreaterThan(0); // taken for idle, it would never be held for
    expect(autoThrottle.lastRate).toBeGreaterThan(0);
  }, 120_000);
});
