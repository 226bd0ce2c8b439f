// hb backup against MariaDB when something is wrong: each failure has its class's exit code and a message
// that says what to do, and leaves the server released (no backup lock, no capture running).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Capture } from "../../src/capture/control";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB, type Server } from "../helpers/mariadb";

let server: Server;
const tmp = tempDir("backup-errors");
beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.m (id INT PRIMARY KEY) ENGINE=MyISAM");
  await server.query("CREATE USER 'weak'@'localhost' IDENTIFIED BY 'weakpass'");
  await server.query("GRANT SELECT ON *.* TO 'weak'@'localhost'");
}, 120_000);
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

const backup = (dest: string, ...args: string[]) => run([HB, "backup", "--socket", server.socket, ...args, join(tmp.path, dest)], { timeoutMs: 120_000 });

/** No BACKUP STAGE is held and no capture is running. */
async function released() {
  const conn = await server.connect();
  try {
    await conn.query("BACKUP STAGE START");
    await conn.query("BACKUP STAGE END");
  } finally {
    conn.destroy();
  }
  const cap = Capture.attach(server.pid);
  try {
    expect(cap.status().state).not.toBe("active");
  } finally {
    cap.detach();
  }
}

describe("hb backup errors", () => {
  test("a lock held by another session: exit 6 after --lock-wait-timeout, server released", async () => {
    const holder = await server.connect();
    await holder.query("LOCK TABLES d.m WRITE"); // BLOCK_DDL waits for write-locked non-transactional tables
    try {
      const t = performance.now();
      const r = await backup("locked", "--user", "root", "--lock-wait-timeout", "2s");
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/was not granted within 2 s/);
      expect(performance.now() - t).toBeLessThan(60_000);
    } finally {
      await holder.query("UNLOCK TABLES");
      holder.destroy();
    }
    await released();
  }, 120_000);

  test("missing privileges: exit 4, naming RELOAD", async () => {
    const r = await backup("weak", "--user", "weak", "--password", "weakpass");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("RELOAD");
    expect(r.stderr).not.toContain("weakpass");
    await released();
  }, 60_000);

  test("wrong password: exit 3, and the password is not echoed", async () => {
    const r = await backup("badpw", "--user", "root", "--password", "s3cr3t-wrong");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot connect/);
    expect(r.stderr).not.toContain("s3cr3t-wrong");
  }, 60_000);

  test("DEST inside the datadir: exit 7, nothing written there", async () => {
    const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", join(server.datadir, "oops")]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/inside/);
    expect(await Bun.file(join(server.datadir, "oops")).exists()).toBe(false);
  }, 60_000);

  test("a server without the shim: exit 5 with the LD_PRELOAD line to add", async () => {
    await using plain = await startMariaDB({ shim: false, binlog: false });
    const r = await run([HB, "backup", "--socket", plain.socket, "--user", "root", join(tmp.path, "noshim")]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("does not run with the hb shim");
    expect(r.stderr).toContain("LD_PRELOAD");
  }, 120_000);

  test("--source without --raw is a usage error (exit 2)", async () => {
    const r = await backup("usage", "--source", "/tmp");
    expect(r.code).toBe(2);
  });
});

describe("two backups at once", () => {
  test("the second fails fast and clearly; the first is unaffected", async () => {
    await using big = await startMariaDB({ binlog: true });
    await big.query("CREATE DATABASE d");
    await big.query("CREATE TABLE d.t (id INT PRIMARY KEY, pad VARCHAR(255)) ENGINE=InnoDB");
    await big.query("INSERT INTO d.t SELECT seq, REPEAT('x', 255) FROM d.seq_1_to_20000");
    const first = Bun.spawn([HB, "backup", "--socket", big.socket, "--user", "root", "--throttle", "8M", join(tmp.path, "first")], {
      stdout: "ignore",
      stderr: "pipe",
    });
    const firstErr = new Response(first.stderr).text();
    await Bun.sleep(1500); // well into its copy
    const t = performance.now();
    const second = await run([HB, "backup", "--socket", big.socket, "--user", "root", join(tmp.path, "second")]);
    expect(second.code).toBe(9);
    expect(second.stderr).toContain(`another backup (hb pid ${first.pid}) is running on this server`);
    expect(performance.now() - t).toBeLessThan(10_000);
    expect(await first.exited).toBe(0);
    expect(await firstErr).toContain("backup complete");
  }, 120_000);
});
