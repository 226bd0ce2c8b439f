// --throttle auto (the default) against a real server: an idle server gets a full-speed copy and is never
// held for; under a write load the copy is held to measure the server and paced, and the backup it makes is
// still exact (the replica oracle: prepared, rolled forward with the binlog, equal to the source).
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
});
