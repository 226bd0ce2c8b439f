// Damaged backups, on one real backup of MariaDB taken under write load: each case damages a fresh `cp -a`
// of it, and hb prepare (exit 10) and hb verify (exit 10 or 11) find the damage and name the file (and for
// the journal, the byte offset of the damaged record). Prepare changes nothing when it refuses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { join, relative } from "node:path";
import type { Manifest } from "../../src/dest/manifest";
import { flipByte } from "../helpers/damage";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { startMariaDB } from "../helpers/mariadb";

const tmp = tempDir("corrupt");
let base: string; // the backup as hb wrote it, not prepared

beforeAll(async () => {
  await using server = await startMariaDB({ binlog: true });
  await sysbenchPrepare(server, { tables: 2, rows: 5000 });
  const load = sysbenchRun(server, { test: "oltp_write_only", threads: 1, rate: 100 });
  await Bun.sleep(500);
  base = join(tmp.path, "base");
  const b = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--throttle", "20M", base], { timeoutMs: 120_000 });
  await load.stop();
  if (b.code !== 0) throw new Error(b.stderr);
}, 180_000);
afterAll(() => tmp[Symbol.dispose]());

let n = 0;
async function copyOfBackup(): Promise<string> {
  const dir = join(tmp.path, `case${++n}`);
  expect((await run(["cp", "-a", base, dir])).code).toBe(0);
  return dir;
}

const manifest = (dest: string): Manifest => JSON.parse(readFileSync(join(dest, ".hb", "manifest.json"), "utf8"));

/** The copy of sbtest/sbtest1.ibd (its ident as listed in sbtest/, and its last copy). */
function tableCopy(dest: string) {
  const m = manifest(dest);
  const entry = m.listings.flatMap((l) => l.entries).find((e) => e.name === "sbtest1.ibd")!;
  const copy = m.copies.filter((c) => c.ident === entry.ident).at(-1)!;
  return { ident: entry.ident, file: copy.file, size: copy.size };
}

/** Offsets of the journal's records, in order (each starts with its u32 length). */
function recordOffsets(journal: string): { at: number; len: number; type: number }[] {
  const buf = readFileSync(journal);
  const out = [];
  for (let at = 0; at + 80 <= buf.length; ) {
    const len = buf.readUInt32LE(at);
    out.push({ at, len, type: buf.readUInt16LE(at + 16) });
    at += len;
  }
  return out;
}

/** Every path under dir → mode, size, mtime: what prepare must leave alone when it refuses. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const st = lstatSync(join(d, name));
      out[relative(dir, join(d, name))] = `${st.mode} ${st.size} ${st.mtimeMs}`;
      if (st.isDirectory()) walk(join(d, name));
    }
  };
  walk(dir);
  return out;
}

/** hb prepare refuses with exit 10 and these words, and DEST is as it was. */
async function prepareRefuses(dest: string, ...fragments: string[]) {
  const before = tree(dest);
  const r = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
  if (r.code !== 10) console.error(r.stderr);
  expect(r.code).toBe(10);
  for (const f of fragments) expect(r.stderr).toContain(f);
  expect(tree(dest)).toEqual(before);
}

async function verify(dest: string, code: number, ...fragments: string[]) {
  const r = await run([HB, "verify", dest], { timeoutMs: 120_000 });
  if (r.code !== code) console.error(r.stderr);
  expect(r.code).toBe(code);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

describe("a damaged backup is found and the file named", () => {
  test("the untouched backup verifies and prepares (the cases below differ by their damage only)", async () => {
    const dest = await copyOfBackup();
    await verify(dest, 0);
    // the load was journaled (the writes the copy read are not: far fewer records than writes)
    expect(recordOffsets(join(dest, ".hb", "journal")).filter((r) => r.type === 1).length).toBeGreaterThan(10);
    expect((await run([HB, "prepare", dest], { timeoutMs: 120_000 })).code).toBe(0);
    await verify(dest, 0);
  }, 120_000);

  test("a flipped byte in a copied data file, before prepare: its path and copy named", async () => {
    const dest = await copyOfBackup();
    const c = tableCopy(dest);
    flipByte(join(dest, c.file), Math.floor(c.size / 2), 0x01);
    await verify(dest, 11, `sbtest/sbtest1.ibd: its copy ${c.file} is damaged: CRC32C`);
    await prepareRefuses(dest, `cannot prepare sbtest/sbtest1.ibd (ident ${c.ident}): its copy ${c.file} is damaged: CRC32C`);
  }, 120_000);

  test("a flipped byte in a data file after prepare", async () => {
    const dest = await copyOfBackup();
    expect((await run([HB, "prepare", dest], { timeoutMs: 120_000 })).code).toBe(0);
    flipByte(join(dest, "sbtest", "sbtest2.ibd"), 20_000, 0x01);
    await verify(dest, 11, "sbtest/sbtest2.ibd: content differs");
  }, 120_000);

  test("a flipped byte in a journal record's data: the journal and the record's offset", async () => {
    const dest = await copyOfBackup();
    const journal = join(dest, ".hb", "journal");
    const records = recordOffsets(journal);
    const writes = records.filter((r) => r.type === 1 && r.len > 80 + 64);
    const victim = writes[Math.floor(writes.length / 2)]!;
    flipByte(journal, victim.at + 80 + 32, 0x01); // inside the written bytes, not the header
    await verify(dest, 10, `journal ${journal} is damaged at byte ${victim.at}: bad crc`);
    await prepareRefuses(dest, `journal ${journal} is damaged at byte ${victim.at}: bad crc`);
  }, 120_000);

  test("a truncated journal: cut inside a record, and cut at a record's end (no END)", async () => {
    const dest = await copyOfBackup();
    const journal = join(dest, ".hb", "journal");
    const records = recordOffsets(journal);
    const cut = records[Math.floor(records.length / 2)]!;
    truncateSync(journal, cut.at + 40);
    await verify(dest, 10, `journal ${journal} is damaged at byte ${cut.at}: the file ends inside a record`);
    await prepareRefuses(dest, `journal ${journal} is damaged at byte ${cut.at}: the file ends inside a record`);
    truncateSync(journal, cut.at);
    await prepareRefuses(dest, `journal ${journal} is damaged at byte ${cut.at}: no END record`);
    expect(statSync(journal).size).toBe(cut.at);
  }, 120_000);

  test("a missing manifest", async () => {
    const dest = await copyOfBackup();
    rmSync(join(dest, ".hb", "manifest.json"));
    await verify(dest, 10, `${dest} is not an hb backup (no .hb/manifest.json)`);
    await prepareRefuses(dest, `${dest} is not an hb backup (no .hb/manifest.json)`);
  }, 120_000);

  test("a missing copy", async () => {
    const dest = await copyOfBackup();
    const c = tableCopy(dest);
    rmSync(join(dest, c.file));
    await verify(dest, 11, `sbtest/sbtest1.ibd: its copy ${c.file} is missing`);
    await prepareRefuses(dest, `cannot prepare sbtest/sbtest1.ibd (ident ${c.ident}): its copy ${c.file} is missing`);
  }, 120_000);
});
