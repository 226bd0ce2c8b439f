// hb SIGKILLed in every phase of a server backup, while the server runs InnoDB and MyISAM write load and a
// commit probe. HB_DEBUG_SYNC stops hb exactly in the phase (BLOCK_COMMIT lasts milliseconds otherwise).
// After each kill: the server commits again within 1 s, no backup lock is left, the capture ends by its
// lease, the journal stops growing, DEST is refused as incomplete, the tables check OK, the next backup works.
// The last test rolls a backup taken after all of this forward and compares every table with the source.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEBUG_SYNC_POINTS } from "../../src/backup/debug-sync";
import { applyBinlogFrom } from "../helpers/binlog";
import {
  assertIncomplete,
  assertJournalStill,
  assertNoBackupLock,
  assertTablesOk,
  captureEnds,
  captureStatus,
  hbPausedAt,
  installLockInfo,
} from "../helpers/faults";
import { HB, run, spawnBg, tempDir, waitFor } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun, writeLoop, type SysbenchHandle, type WriteLoopHandle } from "../helpers/load";
import { checksumAll, startMariaDB, type Server } from "../helpers/mariadb";
import { startCommitProbe, type CommitProbe } from "../helpers/probe";

const TABLES = ["sbtest.sbtest1", "sbtest.sbtest2", "hbload.myisam_t", "hbload.long_write", "hb_probe.t"];
const COMMIT_WITHIN_MS = 1000;

let server: Server;
let probe: CommitProbe;
let sysbench: SysbenchHandle;
let myisam: WriteLoopHandle;
const tmp = tempDir("kill-phases");
const measured: string[] = [];

beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await installLockInfo(server);
  await sysbenchPrepare(server, { tables: 2, rows: 10_000 });
  myisam = await writeLoop(server, { engine: "MyISAM", table: "myisam_t", ratePerSec: 50 });
  sysbench = sysbenchRun(server, { test: "oltp_write_only", threads: 2, rate: 100 });
  probe = await startCommitProbe(server);
  await server.query("CREATE TABLE hbload.long_write (id INT PRIMARY KEY, v INT) ENGINE=MyISAM");
  await server.query("INSERT INTO hbload.long_write VALUES (1, 0)");
}, 300_000);

afterAll(async () => {
  if (measured.length) console.error(`kill-phases measurements:\n  ${measured.join("\n  ")}`);
  await Promise.allSettled([sysbench?.stop(), myisam?.stop(), probe?.stop()]);
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

/** After the kill at `killedAt`: the server commits, holds no backup lock, and the tables check OK. */
async function serverUnharmed(what: string, killedAt: number): Promise<void> {
  const delay = await probe.nextCommitWithin(killedAt, 10_000);
  expect(delay).toBeDefined();
  expect(delay!).toBeLessThanOrEqual(COMMIT_WITHIN_MS);
  const stagesMs = await assertNoBackupLock(server);
  await assertTablesOk(server, TABLES);
  measured.push(`${what}: next commit ${delay!.toFixed(0)} ms after the kill; all stages granted to another session in ${stagesMs.toFixed(0)} ms`);
}

/** A backup taken now completes and prepares. */
async function nextBackupWorks(name: string): Promise<string> {
  const dest = join(tmp.path, name);
  const backup = await run([HB, "backup", "--socket", server.socket, "--user", "root", dest], { timeoutMs: 300_000 });
  expect(backup.stderr).toContain("backup complete");
  expect(backup.code).toBe(0);
  const prepare = await run([HB, "prepare", dest], { timeoutMs: 300_000 });
  if (prepare.code !== 0) console.error(prepare.stderr);
  expect(prepare.code).toBe(0);
  return dest;
}

describe("hb SIGKILLed while it holds a phase", () => {
  for (const point of DEBUG_SYNC_POINTS)
    test(`at ${point}`, async () => {
      const dest = join(tmp.path, `killed-${point}`);
      await using hb = await hbPausedAt(server, dest, point);
      const pausedAt = performance.now();
      const capturing = captureStatus(server.pid).state === "active";
      expect(capturing).toBe(!["capture-end", "metadata"].includes(point));
      await Bun.sleep(300); // the paused hb holds whatever this phase holds
      hb.proc.kill("SIGKILL");
      const killedAt = performance.now();
      expect(await hb.exited).not.toBe(0);
      if (point === "stage-block-commit" || point === "capture-end")
        expect(probe.largestGap(pausedAt, killedAt)).toBeGreaterThanOrEqual(250); // proof that BLOCK_COMMIT was held
      await serverUnharmed(`killed at ${point}`, killedAt);
      const ended = await captureEnds(server.pid, killedAt);
      expect(ended.status.state).not.toBe("active");
      if (capturing) {
        expect(["failed", "expired"]).toContain(ended.status.state);
        expect(ended.ms).toBeLessThan(10_000); // the lease is 5 s
      }
      const journal = await assertJournalStill(dest);
      await assertIncomplete(dest);
      measured.push(`killed at ${point}: capture ${capturing ? `ended (${ended.status.state}) ${ended.ms.toFixed(0)} ms after the kill` : "had already ended"}; journal ${journal} bytes`);
      await nextBackupWorks(`after-${point}`);
    }, 300_000);
});

describe("hb SIGKILLed while it waits for a BACKUP STAGE", () => {
  /** Waits until hb's connection waits on the backup lock for `stage`. */
  const waitingFor = (stage: string) =>
    waitFor(
      async () =>
        (
          await server.query<{ ID: number }[]>(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = ? AND STATE = 'Waiting for backup lock'",
            [`BACKUP STAGE ${stage}`],
          )
        ).length > 0,
      { what: `hb to wait for BACKUP STAGE ${stage}`, timeoutMs: 60_000 },
    );

  test("START, blocked by another session's backup", async () => {
    const holder = await server.connect();
    await holder.query("BACKUP STAGE START");
    const dest = join(tmp.path, "killed-waiting-start");
    try {
      await using hb = spawnBg([HB, "backup", "--socket", server.socket, "--user", "root", dest]);
      await waitingFor("START");
      hb.kill("SIGKILL");
      const killedAt = performance.now();
      await hb.exited;
      await waitFor(async () => (await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'BACKUP STAGE%'")).length === 0, {
        what: "hb's waiting statement to go away",
        timeoutMs: 5_000,
      });
      expect(captureStatus(server.pid).state).not.toBe("active"); // it never began
      await holder.query("BACKUP STAGE END");
      await serverUnharmed("killed waiting for START", killedAt);
    } finally {
      holder.destroy();
    }
    await assertIncomplete(dest);
    await nextBackupWorks("after-waiting-start");
  }, 300_000);

  test("BLOCK_DDL, blocked by a long MyISAM write", async () => {
    const dest = join(tmp.path, "killed-waiting-block-ddl");
    // Paused before the copy: the long write starts before FLUSH (which would make it wait) and blocks BLOCK_DDL.
    await using hb = await hbPausedAt(server, dest, "stage-start");
    const writer = await server.connect();
    const [[{ id }]] = (await writer.query("SELECT CONNECTION_ID() AS id")) as unknown as [[{ id: number }]];
    // A statement writing a non-transactional table: BLOCK_DDL waits for it to end.
    const long = writer.query("UPDATE hbload.long_write SET v = v + SLEEP(60)").catch((e: Error) => e);
    try {
      await waitFor(async () => (await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ? AND STATE = 'User sleep'", [id])).length > 0, {
        what: "the long write to run",
      });
      hb.proc.kill("SIGCONT");
      await waitingFor("BLOCK_DDL");
      hb.proc.kill("SIGKILL");
      const killedAt = performance.now();
      await hb.exited;
      // InnoDB commits go on while the long write still runs.
      const delay = await probe.nextCommitWithin(killedAt, 10_000);
      expect(delay!).toBeLessThanOrEqual(COMMIT_WITHIN_MS);
      const ended = await captureEnds(server.pid, killedAt);
      expect(["failed", "expired"]).toContain(ended.status.state);
      measured.push(`killed waiting for BLOCK_DDL: capture ended (${ended.status.state}) ${ended.ms.toFixed(0)} ms after the kill`);
      await server.query(`KILL ${id}`); // else another session's BLOCK_DDL would wait for it too
      await long;
      await serverUnharmed("killed waiting for BLOCK_DDL", killedAt);
    } finally {
      writer.destroy();
    }
    await assertJournalStill(dest);
    await assertIncomplete(dest);
    await nextBackupWorks("after-waiting-block-ddl");
  }, 300_000);
});

describe("after every fault", () => {
  test("a backup rolled forward with the binlog equals the source", async () => {
    const dest = await nextBackupWorks("final");
    await Promise.all([sysbench.stop(), myisam.stop()]);
    const rows = await probe.stop();
    expect(rows).toBeGreaterThan(1000);
    const [file, position] = readFileSync(join(dest, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
    await using copy = await startMariaDB({ datadir: dest, binlog: false, serverId: 2 });
    await assertTablesOk(copy, TABLES);
    await applyBinlogFrom(server, copy, file!, position!);
    const want = await checksumAll(server);
    expect(want.filter((t) => t.checksum !== null).map((t) => t.table)).toEqual(expect.arrayContaining(TABLES));
    expect(await checksumAll(copy)).toEqual(want);
  }, 600_000);
});
