// A real MariaDB with the shim preloaded: it runs, it refuses native AIO (I6) so InnoDB falls back to
// synchronous I/O, it carries the control block, and the test helpers' servers and checksums are sound.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { type Server, checksumAll, listTables, startMariaDB } from "../helpers/mariadb";

// Per test: bun 1.4.4 does not apply bunfig's [test] timeout (5 s default), and on timeout kills our children.
const SLOW = 120_000;

// What MariaDB 10.11 logs when io_uring_queue_init() and then io_setup() fail.
const FALLBACK = "[Warning] InnoDB: native AIO failed: falling back to innodb_use_native_aio=OFF";
const URING_REFUSED = "io_uring_queue_init() failed with ENOSYS";

function fdLinks(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(join(dir, fd))];
    } catch {
      return []; // closed while we listed
    }
  });
}

async function nativeAio(server: Server): Promise<number> {
  const [row] = await server.query<{ aio: number }[]>("SELECT @@innodb_use_native_aio AS aio");
  return Number(row?.aio);
}

describe("mariadbd with the shim preloaded", () => {
  test("falls back to synchronous I/O and takes a write load without errors", async () => {
    await using server = await startMariaDB();
    const log = readFileSync(server.errorLog, "utf8");
    expect(log).toContain(URING_REFUSED);
    expect(log).toContain(FALLBACK);
    expect(await nativeAio(server)).toBe(0);

    await sysbenchPrepare(server, { tables: 4, rows: 10_000 });
    // Uniform ids and 2 threads: deadlocks (which sysbench counts as errors) stay out of a healthy run.
    const result = await sysbenchRun(server, {
      test: "oltp_write_only",
      threads: 2,
      seconds: 3,
      extraArgs: ["--rand-type=uniform"],
    }).result();
    expect(result.complete).toBe(true);
    expect(result.tps).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.samples.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(server.errorLog, "utf8")).not.toContain("[ERROR]");
  }, SLOW);

  test("holds the shim's control block, a memfd named hb-ctl", async () => {
    await using server = await startMariaDB();
    expect(fdLinks(server.pid).filter((link) => link.startsWith("/memfd:hb-ctl"))).toHaveLength(1);
  }, SLOW);

  test("after a backup under writes, the ring's pages are given back to the system", async () => {
    await using server = await startMariaDB({ binlog: true });
    await sysbenchPrepare(server, { tables: 2, rows: 5000 });
    const ctl = readdirSync(`/proc/${server.pid}/fd`).find((fd) => readlinkSync(`/proc/${server.pid}/fd/${fd}`).startsWith("/memfd:hb-ctl"))!;
    const allocated = () => statSync(`/proc/${server.pid}/fd/${ctl}`).blocks * 512;
    const load = sysbenchRun(server, { test: "oltp_write_only", threads: 2 });
    await using tmp = tempDir("ring-release");
    const b = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--throttle", "8M", "--json", join(tmp.path, "b")], { timeoutMs: 120_000 });
    await load.stop();
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).journalBytes).toBeGreaterThan(8 << 20); // the ring went round: its pages were used
    expect(allocated()).toBeLessThan(1 << 20); // the control block's own page(s), not the ring
  }, SLOW);
});

describe("mariadbd without the shim", () => {
  test("has no control block and keeps native AIO", async () => {
    await using server = await startMariaDB({ shim: false });
    expect(fdLinks(server.pid).some((link) => link.startsWith("/memfd:hb-ctl"))).toBe(false);
    expect(readFileSync(server.errorLog, "utf8")).not.toContain(FALLBACK);
    expect(await nativeAio(server)).toBe(1);
  }, SLOW);
});

describe("startMariaDB on an existing datadir", () => {
  test("a copy of a stopped server's datadir starts with the same tables and checksums", async () => {
    await using source = await startMariaDB();
    await source.query("CREATE DATABASE d");
    for (const engine of ["InnoDB", "Aria", "MyISAM"]) {
      await source.query(`CREATE TABLE d.${engine} (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=${engine}`);
      await source.query(`INSERT INTO d.${engine} SELECT seq, CONCAT('${engine}', seq) FROM d.seq_1_to_1000`);
    }
    const tables = await listTables(source);
    const checksums = await checksumAll(source);
    expect(tables).toEqual(["d.Aria", "d.InnoDB", "d.MyISAM"]);
    expect(checksums.every((c) => c.checksum !== null && c.checksum !== "0")).toBe(true);
    await source.stop();

    await using copyDir = tempDir("hb-datadir-copy");
    const datadir = join(copyDir.path, "data");
    expect((await run(["cp", "-a", source.datadir, datadir])).code).toBe(0);
    await using copy = await startMariaDB({ datadir });
    expect(await listTables(copy)).toEqual(tables);
    expect(await checksumAll(copy)).toEqual(checksums);
    // The binlog moved with the datadir (relative index entries).
    const [binlog] = await copy.query<{ Log_name: string }[]>("SHOW BINARY LOGS");
    expect(binlog?.Log_name).toStartWith("binlog.");
  }, SLOW);
});
