// hb verify: passes on a good backup; a flipped byte, a missing file, an extra file each fail it (exit 11)
// and are named; an unprepared backup's damaged journal is found too (exit 10).
import { describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../../src/journal/crc32c";
import { flipByte } from "../helpers/damage";
import { HB, run, tempDir } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

async function backupOf(tmp: string, prepare: boolean): Promise<string> {
  const src = join(tmp, "src");
  mkdirSync(join(src, "sub"), { recursive: true });
  writeFileSync(join(src, "a"), Buffer.alloc(100_000, 7));
  writeFileSync(join(src, "sub", "b"), "bee");
  await using owner = await Scribbler.start(); // a process running with the shim, up and answering
  const dest = join(tmp, "b");
  expect((await run([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), dest])).code).toBe(0);
  if (prepare) expect((await run([HB, "prepare", dest])).code).toBe(0);
  return dest;
}

describe("hb verify", () => {
  test("a good backup passes; a flipped byte, a missing and an extra file are each named (exit 11)", async () => {
    await using tmp = tempDir("verify");
    const dest = await backupOf(tmp.path, true);
    const ok = await run([HB, "verify", "--json", dest]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).checked).toBe(3);
    flipByte(join(dest, "a"), 5000);
    const flipped = await run([HB, "verify", dest]);
    expect(flipped.code).toBe(11);
    expect(flipped.stderr).toContain("a: content differs");
    flipByte(join(dest, "a"), 5000);
    rmSync(join(dest, "sub", "b"));
    const missing = await run([HB, "verify", dest]);
    expect(missing.code).toBe(11);
    expect(missing.stderr).toContain("missing: sub/b");
    writeFileSync(join(dest, "sub", "b"), "bee");
    appendFileSync(join(dest, "extra"), "x");
    const extra = await run([HB, "verify", dest]);
    expect(extra.code).toBe(11);
    expect(extra.stderr).toContain("extra: extra");
    rmSync(join(dest, "extra"));
    expect((await run([HB, "verify", dest])).code).toBe(0);
  }, 60_000);

  test("prepare records each file's CRC32C; a list recorded with BLAKE2b by an older hb is still checked with it", async () => {
    await using tmp = tempDir("verify-algo");
    const dest = await backupOf(tmp.path, true);
    const listPath = join(dest, "hb_hashes.json");
    const list = JSON.parse(readFileSync(listPath, "utf8"));
    expect(list.a).toEqual({ type: "file", size: 100_000, crc32c: crc32c(readFileSync(join(dest, "a"))).toString(16).padStart(8, "0") });
    const blake = (path: string) => new Bun.CryptoHasher("blake2b256").update(readFileSync(join(dest, path))).digest("hex");
    for (const path of ["a", "sub/b"]) list[path] = { type: "file", size: list[path].size, hash: blake(path) };
    writeFileSync(listPath, JSON.stringify(list));
    expect((await run([HB, "verify", dest])).code).toBe(0);
    flipByte(join(dest, "sub", "b"), 1);
    const flipped = await run([HB, "verify", dest]);
    expect(flipped.code).toBe(11);
    expect(flipped.stderr).toContain("sub/b: content differs");
  }, 60_000);

  test("an unprepared backup: a flipped journal byte is found and its offset named (exit 10)", async () => {
    await using tmp = tempDir("verify-journal");
    const dest = await backupOf(tmp.path, false);
    expect((await run([HB, "verify", dest])).code).toBe(0);
    flipByte(join(dest, ".hb", "journal"), 20); // inside the END record's header
    const r = await run([HB, "verify", dest]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/journal .* is damaged at byte \d+/);
  }, 60_000);
});

describe("hb verify --server", () => {
  test("CHECK TABLE EXTENDED passes on a good server backup and finds a corrupted MyISAM index", async () => {
    const { startMariaDB } = await import("../helpers/mariadb");
    await using server = await startMariaDB({ binlog: false });
    await server.query("CREATE DATABASE d");
    await server.query("CREATE TABLE d.i (id INT PRIMARY KEY, v INT, KEY (v)) ENGINE=InnoDB");
    await server.query("CREATE TABLE d.m (id INT PRIMARY KEY, v INT, KEY (v)) ENGINE=MyISAM");
    await server.query("INSERT INTO d.i SELECT seq, seq FROM d.seq_1_to_2000");
    await server.query("INSERT INTO d.m SELECT seq, seq FROM d.seq_1_to_2000");
    await using tmp = tempDir("verify-server");
    const dest = join(tmp.path, "b");
    expect((await run([HB, "backup", "--socket", server.socket, "--user", "root", dest])).code).toBe(0);
    expect((await run([HB, "prepare", dest], { timeoutMs: 120_000 })).code).toBe(0);
    const ok = await run([HB, "verify", "--server", "--json", dest], { timeoutMs: 120_000 });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).tables).toBe(2);
    // Damage the MyISAM index as if it had been copied that way, and record hashes that match it.
    const fd = openSync(join(dest, "d", "m.MYI"), "r+");
    writeSync(fd, Buffer.alloc(2048, 0xa5), 0, 2048, 4096);
    closeSync(fd);
    const { recordHashes } = await import("../../src/verify/hashes");
    recordHashes(dest);
    const bad = await run([HB, "verify", "--server", dest], { timeoutMs: 120_000 });
    expect(bad.code).toBe(11);
    expect(bad.stderr).toContain("d.m:");
  }, 120_000);
});
