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

describe("prepare's hash list", () => {
  test("knows the CRC32C of files left as copied or overwritten in place, and reads the rest", async () => {
    using t = tempDir("hb-prepare-hashes");
    const dest = join(t.path, "backup");
    const b = new Backup(dest).root(R);
    b.list(R, DIR | 0o755, [
      ["a", "1:3", REG | 0o644],
      ["g", "1:4", REG | 0o644],
      ["h", "1:5", REG | 0o644],
      ["k", "1:6", REG | 0o644],
      ["m", "1:7", REG | 0o644],
    ]);
    b.copy("1:3", "alpha");
    b.copy("1:4", "gggg");
    b.write("1:4", 0, "GG"); // replayed over g's copy
    b.copy("1:5", "hhhh");
    b.copy("1:6", "kkkk");
    b.write("1:6", 2, "KKK"); // grows k: no longer known
    b.copy("1:7", "mmmm");
    b.write("1:7", 0, "M");
    b.trunc("1:7", 2); // no longer known
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
    const dest = join(t.path, "backup");
    const b = new Backup(dest).root(R);
    b.list(R, DIR | 0o755, [
      ["a", "1:3", REG | 0o644],
      ["g", "1:4", REG | 0o644],
    ]);
    b.copy("1:3", "alpha");
    b.copy("1:4", "gggg");
    b.write("1:4", 0, "GG");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true, recoveryFollows: true });
    expect([...r.unchanged.values()].map((u) => u.crc32c)).toEqual([crcOf("alpha")]);
  });
});
