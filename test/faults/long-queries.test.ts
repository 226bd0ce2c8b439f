// A long statement on a MyISAM table makes BACKUP STAGE BLOCK_DDL wait (non-transactional writes must end
// first). Without --kill-long-queries-timeout hb gives up after --lock-wait-timeout (exit 6) and releases
// everything; with it, hb kills the blocker's connection and the backup succeeds. Under InnoDB load and a
// commit probe throughout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Connection } from "mysql2/promise";
import { assertNoBackupLock, assertTablesOk, backupStageHolders, captureStatus, installLockInfo } from "../helpers/faults";
import { HB, run, tempDir, waitFor } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun, type SysbenchHandle } from "../helpers/load";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { startCommitProbe, type CommitProbe } from "../helpers/probe";

const TABLES = ["sbtest.sbtest1", "d.slow", "hb_probe.t"];

let server: Server;
let probe: CommitProbe;
let sysbench: SysbenchHandle;
const tmp = tempDir("long-queries");
const measured: string[] = [];

beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await installLockInfo(server);
  await sysbenchPrepare(server, { tables: 1, rows: 10_000 });
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.slow (id INT PRIMARY KEY, v INT) ENGINE=MyISAM");
  await server.query("INSERT INTO d.slow VALUES (1, 0)");
  sysbench = sysbenchRun(server, { test: "oltp_write_only", threads: 2, rate: 100 });
  probe = await startCommitProbe(server);
}, 300_000);

afterAll(async () => {
  if (measured.length) console.error(`long-queries measurements:\n  ${measured.join("\n  ")}`);
  await Promise.allSettled([sysbench?.stop(), probe?.stop()]);
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

interface Blocker extends AsyncDisposable {
  id: number;
  /** The statement's outcome: an Error once it was killed. */
  outcome: Promise<unknown>;
}

/** A session running a 100 s UPDATE of a MyISAM table: BLOCK_DDL cannot be granted while it runs. */
async function longWrite(): Promise<Blocker> {
  const conn: Connection = await server.connect();
  const [[{ id }]] = (await conn.query("SELECT CONNECTION_ID() AS id")) as unknown as [[{ id: number }]];
  const outcome = conn.query("UPDATE d.slow SET v = v + SLEEP(100)").catch((e: Error) => e);
  await waitFor(async () => (await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ? AND STATE = 'User sleep'", [id])).length > 0, {
    what: "the long write to run",
  });
  return {
    id,
    outcome,
    async [Symbol.asyncDispose]() {
      await server.query(`KILL ${id}`).catch(() => {}); // gone already when hb killed it
      // The kill ends the statement with "connection lost"; destroying the connection first can leave
      // mysql2's pending query unsettled forever.
      await Promise.race([outcome, Bun.sleep(5000)]);
      conn.destroy();
    },
  };
}

const backup = (dest: string, ...args: string[]) =>
  run([HB, "backup", "--socket", server.socket, "--user", "root", "--lock-wait-timeout", "4s", ...args, join(tmp.path, dest)], { timeoutMs: 300_000 });

describe("a long query blocks BLOCK_DDL", () => {
  test("without --kill-long-queries-timeout: exit 6, the blocker untouched, everything released", async () => {
    await using blocker = await longWrite();
    const r = await backup("no-kill");
    const exitedAt = performance.now();
    expect(r.stderr).toMatch(/BACKUP STAGE BLOCK_DDL was not granted within 4 s/);
    expect(r.code).toBe(6);
    expect(r.stderr).not.toContain("killed connection");
    expect(await backupStageHolders(server)).toEqual([]);
    expect(captureStatus(server.pid).state).not.toBe("active"); // ended by hb, not by lease
    const delay = await probe.nextCommitWithin(exitedAt, 10_000);
    expect(delay!).toBeLessThanOrEqual(1000);
    const alive = await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?", [blocker.id]);
    expect(alive.length).toBe(1);
    measured.push(`lock wait timeout: next commit ${delay!.toFixed(0)} ms after hb exited`);
    await blocker[Symbol.asyncDispose]();
    await assertNoBackupLock(server);
  }, 300_000);

  test("--kill-long-query-type select spares an UPDATE: exit 6", async () => {
    await using blocker = await longWrite();
    const r = await backup("select-only", "--kill-long-queries-timeout", "1", "--kill-long-query-type", "select");
    expect(r.code).toBe(6);
    expect(r.stderr).not.toContain("killed connection");
    expect((await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?", [blocker.id])).length).toBe(1);
  }, 300_000);

  test("with --kill-long-queries-timeout 1: the blocker is killed, logged, and the backup succeeds", async () => {
    await using blocker = await longWrite();
    const started = performance.now();
    const r = await backup("kill", "--kill-long-queries-timeout", "1", "--json");
    const ended = performance.now();
    expect(r.stderr).toContain("backup complete");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`killed connection ${blocker.id} \\(root@localhost, [\\d.]+ s in "UPDATE d.slow SET v = v \\+ SLEEP\\(100\\)"\\): BACKUP STAGE BLOCK_DDL waited for it`));
    expect(String(await blocker.outcome)).toMatch(/kill|lost|closed/i);
    // hb's own sessions and everyone else's are left alone: the probe's and sysbench's connections live on.
    expect(r.stderr.match(/killed connection/g)?.length).toBe(1);
    const gap = probe.largestGap(started, ended);
    expect(gap).toBeLessThanOrEqual(1000);
    measured.push(`kill-long-queries: backup ${(ended - started).toFixed(0)} ms, largest commit gap meanwhile ${gap.toFixed(0)} ms, lock ${JSON.parse(r.stdout).lockTimeMs} ms`);
    await assertTablesOk(server, TABLES);
    const dest = join(tmp.path, "kill");
    const prepare = await run([HB, "prepare", dest], { timeoutMs: 300_000 });
    if (prepare.code !== 0) console.error(prepare.stderr);
    expect(prepare.code).toBe(0);
    await using copy = await startMariaDB({ datadir: dest, binlog: false, serverId: 2 });
    await assertTablesOk(copy, TABLES);
  }, 300_000);

  test("--kill-long-queries-timeout not shorter than --lock-wait-timeout is a usage error", async () => {
    const r = await backup("usage", "--kill-long-queries-timeout", "4s");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("must be shorter than --lock-wait-timeout");
  });
});
