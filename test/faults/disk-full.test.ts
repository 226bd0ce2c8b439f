// The destination fills up (a small tmpfs) while hb backs up a MariaDB under write load: once while the copy
// writes, once with room for the copy but not for the copy and the journal together. Each time hb fails with
// a message naming the cause, exit 8 (a copy) or 9 (the journal), and removes what it wrote (the disk is
// empty again); the server keeps committing within 1 s,
// holds no backup lock, its capture has ended, its tables check OK, and the next backup (with room) works.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { assertNoBackupLock, assertTablesOk, captureStatus, installLockInfo } from "../helpers/faults";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun, type SysbenchHandle } from "../helpers/load";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { startCommitProbe, type CommitProbe } from "../helpers/probe";

const TABLES = ["sbtest.sbtest1", "sbtest.sbtest2", "hb_probe.t"];
const MiB = 2 ** 20;

let server: Server;
let probe: CommitProbe;
let sysbench: SysbenchHandle;
const tmp = tempDir("disk-full");
let copyBytes = 0; // what a backup of this server copies

beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await installLockInfo(server);
  await sysbenchPrepare(server, { tables: 2, rows: 10_000 });
  const b = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--json", join(tmp.path, "sizing")], { timeoutMs: 120_000 });
  if (b.code !== 0) throw new Error(b.stderr);
  copyBytes = JSON.parse(b.stdout).bytesCopied;
  sysbench = sysbenchRun(server, { test: "oltp_write_only", threads: 4 });
  probe = await startCommitProbe(server);
}, 300_000);

afterAll(async () => {
  await Promise.allSettled([sysbench?.stop(), probe?.stop()]);
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

/** A tmpfs of `bytes` at a fresh directory, unmounted by `await using`. */
async function smallDisk(name: string, bytes: number): Promise<AsyncDisposable & { path: string }> {
  const path = join(tmp.path, name);
  mkdirSync(path);
  const m = await run(["mount", "-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", path]);
  if (m.code !== 0) throw new Error(`mount: ${m.stderr}`);
  return { path, [Symbol.asyncDispose]: async () => void (await run(["umount", "-l", path])) };
}

async function serverUnharmed(failedAt: number): Promise<void> {
  const delay = await probe.nextCommitWithin(failedAt, 10_000);
  expect(delay).toBeDefined();
  expect(delay!).toBeLessThanOrEqual(1000);
  await assertNoBackupLock(server);
  expect(captureStatus(server.pid).state).not.toBe("active");
  await assertTablesOk(server, TABLES);
  const next = await run([HB, "backup", "--socket", server.socket, "--user", "root", join(tmp.path, `next-${failedAt}`)], { timeoutMs: 300_000 });
  expect(next.code).toBe(0);
}

describe("destination disk full", () => {
  test("during the copy: exit 8, 'No space left on device' and the file named", async () => {
    await using disk = await smallDisk("small", Math.floor(copyBytes / 4));
    const dest = join(disk.path, "b");
    const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", "--throttle", "0", dest], { timeoutMs: 120_000 });
    const failedAt = performance.now();
    expect(r.stderr).toMatch(/no space left on device \(ENOSPC\)/i);
    expect(r.stderr).toMatch(/copying \/\S+ failed|cannot create \S+/);
    expect(r.code).toBe(8);
    expect(readdirSync(disk.path)).toEqual([]); // what the failed backup wrote is gone: the disk has room again
    await serverUnharmed(failedAt);
  }, 300_000);

  test("room for the copy but not for the journal too: a clean failure naming ENOSPC", async () => {
    await using disk = await smallDisk("tight", copyBytes + 2 * MiB);
    const dest = join(disk.path, "b");
    // Paced by the default --throttle auto under this load: seconds of journal go into the last 2 MiB.
    const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", dest], { timeoutMs: 300_000 });
    const failedAt = performance.now();
    expect(r.stderr).toMatch(/no space left on device \(ENOSPC\)|could not write the journal.*\(no space left on device/i);
    expect([8, 9]).toContain(r.code!);
    expect(readdirSync(disk.path)).toEqual([]);
    await serverUnharmed(failedAt);
  }, 300_000);
});
