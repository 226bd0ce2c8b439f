// The hash list at the end of prepare: files still byte for byte their copies keep the CRC32C the copier
// recorded (prepare checked it before it began) instead of being read again, and files that replay wrote within
// their size get that CRC carried through each write; a file that replay grew, truncated or punched, or that
// changed afterwards (as the server's crash recovery changes files), is hashed from what is there.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../../src/journal/crc32c";
import { prepareBackup } from "../../src/prepare";
import { crcHex } from "../../src/prepare/unchanged";
import { recordHashes } from "../../src/verify/hashes";
import { tempDir } from "../helpers/harness";
import { Backup, DIR, REG } from "./prepare-fixture";

const R = "1:1";
const crcOf = (s: string) => crcHex(crc32c(new TextEncoder().encode(s)));

/** A backup of one directory of regular files, each copied with the content given; `id` names a file's ident. */
function backupOf(dir: string, contents: Record<string, string>) {
  const dest = join(dir, "backup");
  const names = Object.keys(contents);
  const id = (name: string) => `1:${3 + names.indexOf(name)}`;
  const b = new Backup(dest).root(R);
  b.list(R, DIR | 0o755, names.map((n) => [n, id(n), REG | 0o644]));
  for (const n of names) b.copy(id(n), contents[n]!);
  return { dest, b, id };
}

describe("prepare's hash list", () => {
  test("knows the CRC32C of files left as copied or overwritten in place, and reads the rest", async () => {
    using t = tempDir("hb-prepare-hashes");
    const { dest, b, id } = backupOf(t.path, { a: "alpha", g: "gggg", h: "hhhh", k: "kkkk", m: "mmmm" });
    b.write(id("g"), 0, "GG"); // replayed over g's copy
    b.write(id("k"), 2, "KKK"); // grows k: no longer known
    b.write(id("m"), 0, "M");
    b.trunc(id("m"), 2); // no longer known
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect([...r.unchanged.values()].map((u) => u.crc32c).sort()).toEqual([crcOf("alpha"), crcOf("GGgg"), crcOf("hhhh")].sort());

    await Bun.sleep(20); // past the file system's timestamp tick, as any later writer is
    writeFileSync(join(dest, "h"), "HHHH"); // same inode and size, new content
    recordHashes(dest, r.unchanged);
    const list = JSON.parse(readFileSync(join(dest, ".hb", "hashes.json"), "utf8"));
    expect(list.a.crc32c).toBe(crcOf("alpha"));
    expect(list.g.crc32c).toBe(crcOf("GGgg"));
    expect(list.h.crc32c).toBe(crcOf("HHHH"));
    expect(list.k.crc32c).toBe(crcOf("kkKKK"));
    expect(list.m.crc32c).toBe(crcOf("Mm"));
  });

  test("carries no CRC through the replay when crash recovery is to rewrite the files", async () => {
    using t = tempDir("hb-prepare-hashes");
    const { dest, b, id } = backupOf(t.path, { a: "alpha", g: "gggg" });
    b.write(id("g"), 0, "GG");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true, recoveryFollows: true });
    expect([...r.unchanged.values()].map((u) => u.crc32c)).toEqual([crcOf("alpha")]);
  });
});
