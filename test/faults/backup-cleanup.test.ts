// A failed backup leaves nothing in the way of the next: a lock timeout (exit 6) removes the DEST hb made and
// empties the one it was given; a backup SIGKILLed mid-copy leaves DEST marked `copying`, which the next
// backup into the same DEST clears. Two backups started at the same instant on one server (or, raw, of one
// process): exactly one runs, the other is refused at once naming it (not left waiting at BACKUP STAGE START).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertNoBackupLock, captureStatus, hbPausedAt, installLockInfo } from "../helpers/faults";
import { HB, run, spawnBg, tempDir } from "../helpers/harness";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { Scribbler } from "../helpers/scribbler";

let server: Server;
const tmp = tempDir("backup-cleanup");

beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await installLockInfo(server);
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.m (id INT PRIMARY KEY) ENGINE=MyISAM");
  await server.query("CREATE TABLE d.t (id INT PRIMARY KEY, pad VARCHAR(255)) ENGINE=InnoDB");
  await server.query("INSERT INTO d.t SELECT seq, REPEAT('x', 255) FROM mysql.seq_1_to_20000");
}, 120_000);
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

const backupCmd = (dest: string, ...extra: string[]) => [HB, "backup", "--socket", server.socket, "--user", "root", ...extra, dest];

async function preparesClean(dest: string): Promise<void> {
  const p = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
  if (p.code !== 0) console.error(p.stderr);
  expect(p.code).toBe(0);
}

describe("a failed backup cleans up after itself", () => {
  test("lock timeout (exit 6): the DEST hb made is removed, the one it was given is emptied; the same command then works", async () => {
    const made = join(tmp.path, "made");
    const given = join(tmp.path, "given");
    mkdirSync(given, { mode: 0o700 });
    const holder = await server.connect();
    await holder.query("LOCK TABLES d.m WRITE"); // BLOCK_DDL waits for write-locked non-transactional tables
    try {
      for (const dest of [made, given]) {
        const r = await run(backupCmd(dest, "--lock-wait-timeout", "2s"), { timeoutMs: 120_000 });
        expect(r.code).toBe(6);
        expect(r.stderr).toContain(`the backup failed: removed what it wrote in ${dest}`);
      }
    } finally {
      await holder.query("UNLOCK TABLES");
      holder.destroy();
    }
    expect(existsSync(made)).toBe(false);
    expect(readdirSync(given)).toEqual([]);
    for (const dest of [made, given]) {
      const again = await run(backupCmd(dest), { timeoutMs: 120_000 });
      expect(again.code).toBe(0);
      await preparesClean(dest);
    }
  }, 300_000);

  test("SIGKILLed mid-copy: DEST stays marked copying, and the next backup into it clears it and succeeds", async () => {
    const dest = join(tmp.path, "killed");
    {
      await using hb = await hbPausedAt(server, dest, "copy", ["--throttle", "4M"]);
      hb.proc.kill("SIGKILL");
      await hb.exited;
    }
    expect(readFileSync(join(dest, ".hb", "state"), "utf8").trim()).toBe("copying");
    await assertNoBackupLock(server);
    // Right away: the dead backup's capture is still within its lease, and is waited for, not blamed.
    const again = await run(backupCmd(dest), { timeoutMs: 120_000 });
    if (again.code !== 0) console.error(again.stderr);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("holds a backup that did not finish (state copying, its hb gone): removing it first");
    expect(again.stderr).toMatch(/the capture of a backup whose hb \(pid \d+\) is gone ends with its lease/);
    await preparesClean(dest);
  }, 300_000);

  test("DEST of a live backup is not taken for a dead one's remains", async () => {
    const dest = join(tmp.path, "live");
    await using hb = await hbPausedAt(server, dest, "copy", ["--throttle", "4M"]); // stopped, its journal locked
    await using other = await startMariaDB({ binlog: false });
    const r = await run([HB, "backup", "--socket", other.socket, "--user", "root", dest], { timeoutMs: 120_000 });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("is not empty");
    expect(readFileSync(join(dest, ".hb", "state"), "utf8").trim()).toBe("copying");
  }, 300_000);
});

describe("two backups on one server at the same instant", () => {
  /** Exactly one of the two succeeded; the other was refused (exit 9) naming the winner, without waiting. */
  function oneRefused(results: { code: number; stderr: string; pid: number; ms: number }[]) {
    const won = results.filter((r) => r.code === 0);
    const lost = results.filter((r) => r.code !== 0);
    if (won.length !== 1) console.error(results.map((r) => r.stderr).join("\n---\n"));
    expect(won.length).toBe(1);
    expect(lost[0]!.code).toBe(9);
    expect(lost[0]!.stderr).toContain(`another backup (hb pid ${won[0]!.pid}) is running on this server`);
    expect(lost[0]!.ms).toBeLessThan(20_000); // not --lock-wait-timeout (60 s) at BACKUP STAGE START
  }

  async function finish(proc: ReturnType<typeof spawnBg>, started: number) {
    const [stderr, code] = await Promise.all([new Response(proc.stderr as ReadableStream).text(), proc.exited]);
    return { code, stderr, pid: proc.pid, ms: performance.now() - started };
  }

  test("both stopped after attaching, then let go together: the claim picks one", async () => {
    const a = await hbPausedAt(server, join(tmp.path, "race-a"), "attached");
    const b = await hbPausedAt(server, join(tmp.path, "race-b"), "attached");
    const started = performance.now();
    a.proc.kill("SIGCONT");
    b.proc.kill("SIGCONT");
    const codes = await Promise.all([a.exited, b.exited]);
    const results = [a, b].map((h, i) => ({ code: codes[i]!, stderr: h.stderr(), pid: h.proc.pid, ms: performance.now() - started }));
    oneRefused(results);
    const loser = results.find((r) => r.code !== 0)!;
    expect(existsSync(join(tmp.path, loser.pid === a.proc.pid ? "race-a" : "race-b"))).toBe(false);
    expect(captureStatus(server.pid).state).not.toBe("active");
  }, 300_000);

  test("raw mode: two backups of one process spawned in the same tick", async () => {
    const src = join(tmp.path, "raw-src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(8 << 20, 7));
    await using owner = await Scribbler.start(); // a process running with the shim
    const started = performance.now();
    const procs = ["p", "q"].map((n) =>
      spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), "--throttle", "8M", join(tmp.path, `raw-${n}`)], { stderr: "pipe" }),
    );
    oneRefused(await Promise.all(procs.map((p) => finish(p, started))));
  }, 120_000);

  test("spawned in the same tick, three rounds", async () => {
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      const procs = ["x", "y"].map((n) => spawnBg(backupCmd(join(tmp.path, `same-${round}-${n}`)), { stderr: "pipe" }));
      oneRefused(await Promise.all(procs.map((p) => finish(p, started))));
    }
  }, 300_000);
});
