// hb backup --stream against a real MariaDB under write load and a DDL storm: streamed to a file and to a
// pipe into hb extract (compressed, encrypted), extracted, prepared, rolled forward: every table equals the
// source's (the replica oracle). A reader that stalls fails the backup with a clear error while the server
// keeps committing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ddlStorm } from "../helpers/ddl-storm";
import { assertNoBackupLock, captureStatus, installLockInfo } from "../helpers/faults";
import { HB, run, tempDir, testEnv } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun, writeLoop } from "../helpers/load";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { startCommitProbe } from "../helpers/probe";
import { rollForwardAndCompare } from "../helpers/replica-oracle";
import { ChunkKind, readStream } from "../../src/stream";

let source: Server;
const tmp = tempDir("hb-stream-e2e");
const key = join(tmp.path, "key");

beforeAll(async () => {
  source = await startMariaDB({ binlog: true });
  await installLockInfo(source);
  await sysbenchPrepare(source, { tables: 4, rows: 20_000 });
  writeFileSync(key, randomBytes(32), { mode: 0o600 });
}, 300_000);

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

const connection = () => ["--socket", source.socket, "--user", "root"];

/** A directory for --stream-tmpdir (hb creates its staging inside, and removes it). */
function stagingDir(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  return dir;
}

/** Load and DDL on the source while `body` runs; stopped (and checked to have run) after it. */
async function underLoad<T>(body: () => Promise<T>): Promise<T> {
  // A storm's rounds are numbered from 0: what an earlier one left would clash.
  const dbs = await source.query<{ db: string }[]>("SELECT schema_name AS db FROM information_schema.schemata WHERE schema_name = 'ddl' OR schema_name LIKE 'ddl\\_db%'");
  for (const { db } of dbs) await source.query(`DROP DATABASE \`${db}\``);
  const aria = await writeLoop(source, { engine: "Aria", table: "aria_t", ratePerSec: 200 });
  const storm = await ddlStorm(source);
  const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
  await Bun.sleep(1000);
  try {
    return await body();
  } finally {
    await Bun.sleep(500); // the binlog carries what came after the backup
    const [l, d] = await Promise.all([load.stop(), storm.stop(), aria.stop()]);
    expect(l.transactions).toBeGreaterThan(500);
    expect(d.length).toBeGreaterThan(5);
  }
}

async function prepareAndCompare(dir: string, serverId: number): Promise<void> {
  const prepare = await run([HB, "prepare", dir], { timeoutMs: 300_000 });
  if (prepare.code !== 0) console.error(prepare.stderr);
  expect(prepare.code).toBe(0);
  const { want, got, beforeBinlog } = await rollForwardAndCompare(source, dir, serverId);
  expect(beforeBinlog).not.toEqual(want); // the source went on: the binlog mattered
  expect(got).toEqual(want);
  expect(want.filter((t) => t.checksum !== null).length).toBeGreaterThan(4);
}

/** The most disk space under `dir`, sampled every 100 ms until stop(): what the stream's staging took. */
function sampleSpace(dir: string): { stop(): Promise<number> } {
  const allocated = (path: string): number => {
    try {
      const st = lstatSync(path);
      return st.blocks * 512 + (st.isDirectory() ? readdirSync(path).reduce((n, name) => n + allocated(join(path, name)), 0) : 0);
    } catch {
      return 0; // removed while we looked
    }
  };
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, allocated(dir));
      await Bun.sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

/** Runs a shell pipeline; each command's exit code and stderr land in files named after `name`. */
async function pipeline(name: string, producer: string[], consumer: string[]): Promise<{ codes: number[]; errors: string[] }> {
  const q = (cmd: string[]) => cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const err = (i: number) => join(tmp.path, `${name}.${i}.err`);
  const r = await run(["bash", "-c", `${q(producer)} 2>${err(0)} | ${q(consumer)} 2>${err(1)}; echo "\${PIPESTATUS[@]}"`], { timeoutMs: 300_000 });
  return { codes: r.stdout.trim().split(" ").map(Number), errors: [await Bun.file(err(0)).text(), await Bun.file(err(1)).text()] };
}

describe("hb backup --stream", () => {
  test("to a file, then hb extract FILE: the journal streams while the copy runs, staging stays small; the prepared backup equals the source", async () => {
    const staging = stagingDir("staging1");
    const file = join(tmp.path, "plain.hbs");
    const space = sampleSpace(staging);
    const { codes, errors } = await underLoad(() =>
      pipeline("plain", [HB, "backup", ...connection(), "--stream", "--stream-tmpdir", staging, "--throttle", "20M"], ["dd", `of=${file}`, "bs=1M", "status=none"]),
    );
    // What was sent left staging (copies truncated, the journal punched): it never held half the backup.
    expect(await space.stop()).toBeLessThan(statSync(file).size / 2);
    expect(errors[0]).toContain("backup complete");
    expect(codes).toEqual([0, 0]);
    expect(readdirSync(staging)).toEqual([]); // the staging directory is gone
    // Chunk order: journal bytes went out before the last copy did, so the journal did not wait for the copy.
    const order: { kind: ChunkKind; path: string }[] = [];
    for await (const c of readStream(Bun.file(file).stream())) order.push({ kind: c.kind, path: c.path });
    const firstJournal = order.findIndex((c) => c.path === ".hb/journal");
    const lastCopyEnd = order.findLastIndex((c) => c.kind === ChunkKind.fileEnd && c.path.startsWith(".hb/data/"));
    expect(firstJournal).toBeGreaterThan(-1);
    expect(firstJournal).toBeLessThan(lastCopyEnd);
    expect(order.at(-1)!.path).toBe(".hb/state");

    const out = join(tmp.path, "plain");
    const x = await run([HB, "extract", out, file], { timeoutMs: 300_000 });
    expect(x.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    const verify = await run([HB, "verify", out], { timeoutMs: 300_000 }); // every copy's and the journal's CRC32C
    expect(verify.code).toBe(0);
    await prepareAndCompare(out, 2);
  }, 900_000);

  test("compressed and encrypted, through a pipe into hb extract: the prepared backup equals the source", async () => {
    const out = join(tmp.path, "piped");
    const { codes, errors } = await underLoad(() =>
      pipeline(
        "piped",
        [HB, "backup", ...connection(), "--stream", "--compress", "--compress-level", "1", "--encrypt-key-file", key, "--stream-tmpdir", tmp.path],
        [HB, "extract", "--encrypt-key-file", key, out],
      ),
    );
    expect(errors[0]).toContain("backup complete");
    expect(errors[1]).toContain("(decrypted)");
    expect(codes).toEqual([0, 0]);
    expect(readdirSync(tmp.path).filter((n) => n.startsWith("hb-stream-"))).toEqual([]);
    await prepareAndCompare(out, 3);
  }, 900_000);

  test("a table larger than --stream-buffer, a reader slower than the copy: the copy waits for it and the backup completes", async () => {
    await source.query("CREATE DATABASE IF NOT EXISTS big");
    await source.query("CREATE TABLE IF NOT EXISTS big.t (id INT PRIMARY KEY, pad VARCHAR(400)) ENGINE=InnoDB");
    await source.query("INSERT IGNORE INTO big.t SELECT seq, CONCAT(SHA2(seq, 512), SHA2(seq + 1, 512), SHA2(seq + 2, 512)) FROM big.seq_1_to_100000");
    const flush = await source.connect(); // its pages on disk now, not written (and journaled) during the backup
    await flush.query("FLUSH TABLES big.t FOR EXPORT");
    await flush.query("UNLOCK TABLES");
    await flush.end();
    const size = statSync(join(source.datadir, "big", "t.ibd")).size;
    expect(size).toBeGreaterThan(32 << 20); // twice the buffer: sent whole, it overruns it
    const out = join(tmp.path, "big");
    // zstd at level 19 reads far slower than the copy writes at full speed: finished copies pile up in staging.
    const { codes, errors } = await pipeline(
      "big",
      [HB, "backup", ...connection(), "--stream", "--stream-buffer", "16M", "--throttle", "0", "--compress", "--compress-level", "19", "--stream-tmpdir", tmp.path],
      [HB, "extract", out],
    );
    expect(errors[0]).toContain("backup complete");
    expect(codes).toEqual([0, 0]);
    const prepare = await run([HB, "prepare", out], { timeoutMs: 300_000 });
    expect(prepare.code).toBe(0);
    expect(statSync(join(out, "big", "t.ibd")).size).toBe(size);
    expect((await run([HB, "verify", out], { timeoutMs: 300_000 })).code).toBe(0);
  }, 900_000);

  test("a reader that stalls fails the backup with a clear error; the server keeps committing", async () => {
    // A FIFO whose reader (this test) never reads: hb's writes fill the pipe and wait.
    const fifo = join(tmp.path, "stalled");
    expect((await run(["mkfifo", fifo])).code).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const staging = stagingDir("staging3");
    const probe = await startCommitProbe(source);
    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
    try {
      const t0 = performance.now();
      const hb = Bun.spawn({
        cmd: [HB, "backup", ...connection(), "--stream", "--stream-tmpdir", staging, "--stream-stall-timeout", "3s", "--stream-buffer", "16M"],
        env: testEnv,
        stdout: Bun.file(fifo),
        stderr: "pipe",
      });
      const [code, stderr] = await Promise.all([hb.exited, new Response(hb.stderr).text()]);
      const t1 = performance.now();
      expect(code).toBe(8);
      expect(stderr).not.toContain("backup complete"); // failed while the backup ran, not after it
      expect(stderr).toContain("the streamed backup is abandoned");
      expect(stderr).toMatch(/took nothing for 3 s|fell .* behind the backup/);
      expect(t1 - t0).toBeLessThan(120_000);
      expect(readdirSync(staging)).toEqual([]);
      expect(probe.largestGap(t0, t1)).toBeLessThan(2000); // generous: a shared 2-core machine
      await assertNoBackupLock(source);
      expect(captureStatus(source.pid).state).not.toBe("active");
    } finally {
      closeSync(reader);
      await Promise.all([load.stop(), probe.stop()]);
    }
  }, 300_000);
});

describe("hb backup --stream and hb extract refuse", () => {
  test("a reader that goes away: exit 8, broken pipe, staging removed", async () => {
    const staging = stagingDir("staging5");
    const { codes, errors } = await pipeline("gone", [HB, "backup", ...connection(), "--stream", "--stream-tmpdir", staging], ["bash", "-c", "head -c 1000 > /dev/null"]);
    expect(codes[0]).toBe(8);
    expect(errors[0]).toContain("went away (broken pipe)");
    expect(readdirSync(staging)).toEqual([]);
  }, 120_000);

  test("a key file others can read, or of the wrong length: exit 2 before anything is written", async () => {
    const loose = join(tmp.path, "loose.key");
    writeFileSync(loose, randomBytes(32));
    chmodSync(loose, 0o644);
    const short = join(tmp.path, "short.key");
    writeFileSync(short, randomBytes(31), { mode: 0o600 });
    const staging = stagingDir("staging4");
    for (const [file, what] of [
      [loose, "readable or writable by other users"],
      [short, "is 31 bytes"],
      [join(tmp.path, "none.key"), "cannot be read"],
    ]) {
      const r = await run(["bash", "-c", `'${HB}' backup --socket '${source.socket}' --user root --stream --stream-tmpdir '${staging}' --encrypt-key-file '${file}' > /dev/null`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(what!);
      expect(readdirSync(staging)).toEqual([]);
    }
  });

  test("a damaged stream file, a wrong key, a full disk: extract exits 10, 2, 8 and leaves no DIR", async () => {
    const file = join(tmp.path, "enc.hbs");
    const b = await run(["bash", "-c", `'${HB}' backup --socket '${source.socket}' --user root --stream --compress --encrypt-key-file '${key}' > '${file}'`], { timeoutMs: 300_000 });
    expect(b.code).toBe(0);
    const size = statSync(file).size;
    // One byte flipped in the middle.
    const bad = join(tmp.path, "bad.hbs");
    const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
    bytes[Math.floor(size / 2)]! ^= 0x40;
    await Bun.write(bad, bytes);
    let r = await run([HB, "extract", "--encrypt-key-file", key, join(tmp.path, "x1"), bad]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/chunk \d+/);
    expect(existsSync(join(tmp.path, "x1"))).toBe(false);
    // Cut short.
    bytes[Math.floor(size / 2)]! ^= 0x40;
    await Bun.write(join(tmp.path, "cut.hbs"), bytes.subarray(0, Math.floor(size * 0.9)));
    r = await run([HB, "extract", "--encrypt-key-file", key, join(tmp.path, "x2"), join(tmp.path, "cut.hbs")]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain("truncated");
    expect(existsSync(join(tmp.path, "x2"))).toBe(false);
    // Another key.
    const other = join(tmp.path, "other.key");
    writeFileSync(other, randomBytes(32), { mode: 0o600 });
    r = await run([HB, "extract", "--encrypt-key-file", other, join(tmp.path, "x3"), file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("wrong key");
    expect(existsSync(join(tmp.path, "x3"))).toBe(false);
    // A disk with room for a fifth of it.
    const disk = join(tmp.path, "small");
    await run(["mkdir", "-p", disk]);
    expect((await run(["mount", "-t", "tmpfs", "-o", `size=${Math.max(1 << 20, Math.floor(size / 5))}`, "tmpfs", disk])).code).toBe(0);
    try {
      r = await run([HB, "extract", "--encrypt-key-file", key, join(disk, "b"), file]);
      expect(r.code).toBe(8);
      expect(r.stderr).toContain("no space left on the device");
      expect(readdirSync(disk)).toEqual([]);
    } finally {
      await run(["umount", "-l", disk]);
    }
    // The same stream, whole and with the right key, extracts.
    r = await run([HB, "extract", "--encrypt-key-file", key, join(tmp.path, "x4"), file]);
    expect(r.code).toBe(0);
  }, 300_000);
});
