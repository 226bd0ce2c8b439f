// hb prepare on synthetic backups: the namespace cases of docs/journal.md (renames while listing, inode
// reuse, hard links, created and removed directories, symlinks) and the fuzzy-copy + replay rule.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { prepareBackup } from "../../src/prepare";
import { tempDir } from "../helpers/harness";
import { Backup, DIR, dir, file, LNK, NEW, OUTSIDE, REG, snapshot } from "./prepare-fixture";

const R = "1:1"; // the root directory's ident

function setup(): { t: ReturnType<typeof tempDir>; b: Backup; dest: string } {
  const t = tempDir("hb-prepare");
  const dest = join(t.path, "backup");
  return { t, b: new Backup(dest).root(R), dest };
}

describe("prepare", () => {
  test("(a) a plain copy with no records becomes the tree; .hb keeps only journal, manifest, state and the hash list", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["a", "1:3", REG | 0o644],
      ["d", "1:2", DIR | 0o750],
    ]);
    b.list("1:2", DIR | 0o750, [["b", "1:4", REG | 0o600]]);
    b.copy("1:3", "alpha");
    b.copy("1:4", "beta", REG | 0o600);
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ a: file(0o644, "alpha"), d: dir(0o750), "d/b": file(0o600, "beta") });
    expect(r).toMatchObject({ dest, files: 2, dirs: 1, symlinks: 0, records: 0, replayedBytes: 0, alreadyPrepared: false });
    expect(readdirSync(join(dest, ".hb")).sort()).toEqual(["hashes.json", "journal", "manifest.json", "state"]);
    expect(readFileSync(join(dest, ".hb", "state"), "utf8")).toBe("prepared\n");
  });

  test("(b) records at or after a copy's seq are replayed over it; earlier ones are not, even when they are for the same file", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["f", "1:10", REG | 0o644],
      ["g", "1:11", REG | 0o644],
    ]);
    // f: written in the roots, copied, moved out, changed outside (no record), moved back in, copied again.
    b.write("1:10", 0, "AAAA");
    b.copy("1:10", "AAAA"); // stale: only the latest copy may be the baseline
    b.unbind(R, "f", "1:10");
    b.bind(R, "f", "1:10", REG | 0o644, OUTSIDE);
    b.copy("1:10", "BBxx"); // torn: the copy read "xx" while the write below was under way
    b.write("1:10", 2, "CC");
    // g: a fuzzy copy of a file written before and after the copy began.
    b.write("1:11", 0, "11111111");
    b.copy("1:11", "111122"); // torn, and short: the file grew while it was read
    b.write("1:11", 4, "2222");
    b.write("1:11", 8, "33");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    // Re-applying the WRITE of "AAAA" (before the copy) would give "AACC".
    expect(snapshot(dest)).toEqual({ f: file(0o644, "BBCC"), g: file(0o644, "1111222233") });
    expect(r.replayedBytes).toBe(2 + 4 + 2);
    expect(r.records).toBe(7);
  });

  test("(c) a directory renamed while the walk was listing: its entries follow it, the old parent loses it", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["A", "1:2", DIR | 0o755],
      ["B", "1:3", DIR | 0o755],
    ]);
    b.list("1:2", DIR | 0o755, [["X", "1:4", DIR | 0o700]]); // A listed before the rename
    b.list("1:4", DIR | 0o700, [["f", "1:5", REG | 0o644]]); // X listed before the rename
    b.copy("1:5", "in X");
    b.unbind("1:2", "X", "1:4");
    b.bind("1:3", "X", "1:4", DIR | 0o700);
    b.bind("1:4", "g", "1:6", REG | 0o644, NEW); // created in X after the rename
    b.write("1:6", 0, "new in X");
    b.list("1:3", DIR | 0o755, [["X", "1:4", DIR | 0o700]]); // B listed after
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      A: dir(0o755),
      B: dir(0o755),
      "B/X": dir(0o700),
      "B/X/f": file(0o644, "in X"),
      "B/X/g": file(0o644, "new in X"),
    });
  });

  test("(c') the same rename with the new parent listed before it: the BIND puts it there", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["A", "1:2", DIR | 0o755],
      ["B", "1:3", DIR | 0o755],
    ]);
    b.list("1:3", DIR | 0o755, []); // B listed before the rename
    b.unbind("1:2", "X", "1:4");
    b.bind("1:3", "X", "1:4", DIR | 0o700);
    b.list("1:2", DIR | 0o755, []); // A listed after: X is gone from it
    b.list("1:4", DIR | 0o700, [["f", "1:5", REG | 0o644]]);
    b.copy("1:5", "in X");
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ A: dir(0o755), B: dir(0o755), "B/X": dir(0o700), "B/X/f": file(0o644, "in X") });
  });

  test("(d) a file renamed from a directory not yet listed into one already listed gets its content, not 0 bytes", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["A", "1:2", DIR | 0o755],
      ["B", "1:3", DIR | 0o755],
    ]);
    b.list("1:3", DIR | 0o755, []);
    b.unbind("1:2", "f", "1:7");
    b.bind("1:3", "f", "1:7", REG | 0o640);
    b.list("1:2", DIR | 0o755, []);
    b.copy("1:7", "payload", REG | 0o640); // fetched by its key after the BIND
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ A: dir(0o755), B: dir(0o755), "B/f": file(0o640, "payload") });
  });

  test("(e) inode reuse: a copy of the old incarnation is not the new file's baseline", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["x", "1:5", REG | 0o644]]);
    b.copy("1:5", "old content");
    b.write("1:5", 0, "OLD!"); // after the copy, but of the old incarnation
    b.unbind(R, "x", "1:5");
    b.bind(R, "y", "1:5", REG | 0o640, NEW);
    b.write("1:5", 0, "new");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ y: file(0o640, "new") });
    expect(r.replayedBytes).toBe(3);
  });

  test("(e') inode reuse with a copy of the new incarnation: that copy is the baseline", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["x", "1:5", REG | 0o644]]);
    b.copy("1:5", "old content");
    b.unbind(R, "x", "1:5");
    b.bind(R, "y", "1:5", REG | 0o640, NEW);
    b.write("1:5", 0, "new");
    b.list(R, DIR | 0o755, [["y", "1:5", REG | 0o640]]);
    b.copy("1:5", "neX", REG | 0o640); // torn
    b.write("1:5", 2, "wer");
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ y: file(0o640, "newer") });
  });

  test("(f) hard links: one inode under every key that names it, including one linked during the backup", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["a", "1:6", REG | 0o644],
      ["b", "1:6", REG | 0o644],
      ["d", "1:2", DIR | 0o755],
    ]);
    b.list("1:2", DIR | 0o755, []);
    b.copy("1:6", "shared");
    b.bind("1:2", "c", "1:6", REG | 0o644); // link(a, d/c)
    b.write("1:6", 0, "SH");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      a: file(0o644, "SHared"),
      b: file(0o644, "SHared"),
      d: dir(0o755),
      "d/c": file(0o644, "SHared"),
      "links: a b d/c": "",
    });
    expect(r.files).toBe(3);
  });

  test("(g) directories made during the backup, with files, empty ones kept, removed ones gone", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["old", "1:20", DIR | 0o755]]);
    b.list("1:20", DIR | 0o755, []);
    b.bind(R, "n", "1:21", DIR | 0o750, NEW);
    b.bind("1:21", "f", "1:22", REG | 0o644, NEW);
    b.write("1:22", 0, "hello");
    b.bind("1:21", "sub", "1:25", DIR | 0o711, NEW);
    b.bind("1:25", "deep", "1:26", REG | 0o600, NEW);
    b.bind(R, "e", "1:23", DIR | 0o700, NEW);
    b.bind(R, "t", "1:24", DIR | 0o755, NEW);
    b.unbind(R, "t", "1:24");
    b.unbind(R, "old", "1:20");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      e: dir(0o700),
      n: dir(0o750),
      "n/f": file(0o644, "hello"),
      "n/sub": dir(0o711),
      "n/sub/deep": file(0o600, ""),
    });
    expect(r).toMatchObject({ files: 2, dirs: 3 });
  });

  test("(h) symlinks, from a BIND record and from a listing, and one renamed", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["ls", "1:31", LNK | 0o777, "../x"],
      ["mv", "1:32", LNK | 0o777, "target/of mv"],
    ]);
    b.bind(R, "l", "1:30", LNK | 0o777, NEW, "n/f");
    b.unbind(R, "mv", "1:32");
    b.bind(R, "moved", "1:32", LNK | 0o777, 0, "target/of mv");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ l: "link -> n/f", ls: "link -> ../x", moved: "link -> target/of mv" });
    expect(r.symlinks).toBe(3);
  });

  test("namespace records before a listing's seq are not applied again: the listing already reflects them", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.bind(R, "a", "1:60", REG | 0o644, NEW);
    b.write("1:60", 0, "sixty");
    // Renamed a -> b by something the journal does not see; the listing after it is the truth.
    b.list(R, DIR | 0o755, [["b", "1:60", REG | 0o644]]);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ b: file(0o644, "sixty") });
  });

  test("a file created, written and renamed over an existing one replaces it", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["data", "1:40", REG | 0o644]]);
    b.copy("1:40", "version 1");
    b.bind(R, "data.tmp", "1:41", REG | 0o600, NEW);
    b.write("1:41", 0, "version 2");
    b.unbind(R, "data.tmp", "1:41");
    b.bind(R, "data", "1:41", REG | 0o600);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ data: file(0o600, "version 2") });
  });

  test("an O_TMPFILE incarnation named later by a link", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, []);
    b.bind("0:0", "", "1:50", REG | 0o600, NEW);
    b.write("1:50", 0, "anonymous");
    b.bind(R, "named", "1:50", REG | 0o600);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ named: file(0o600, "anonymous") });
  });

  test("one copy file recorded for two incarnations is the baseline of both, as two inodes", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["p", "1:70", REG | 0o644],
      ["q", "1:71", REG | 0o644],
    ]);
    const shared = b.copy("1:70", "same");
    b.copies.push({ ...b.copies.at(-1)!, ident: "1:71", file: shared });
    b.write("1:71", 0, "S");
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ p: file(0o644, "same"), q: file(0o644, "Same") });
  });

  test("several roots: a root with a dest goes into that subdirectory, made if needed", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.root("2:1", "logs/innodb");
    b.list(R, DIR | 0o755, [["ibdata1", "1:3", REG | 0o660]]);
    b.list("2:1", DIR | 0o700, [["ib_logfile0", "2:3", REG | 0o660]]);
    b.copy("1:3", "system", REG | 0o660);
    b.copy("2:3", "redo", REG | 0o660);
    b.write("2:3", 4, "!");
    b.finish();
    const r = await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      ibdata1: file(0o660, "system"),
      logs: dir(0o750),
      "logs/innodb": dir(0o700),
      "logs/innodb/ib_logfile0": file(0o660, "redo!"),
    });
    expect(r.dirs).toBe(2);
  });

  test("the backup's metadata files in DEST stay; .hb/data and .hb/tree are removed", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["f", "1:3", REG | 0o644]]);
    b.copy("1:3", "x");
    b.copy("9:9", "an unreachable copy");
    b.finish();
    for (const [name, text] of [["xtrabackup_info", "info"], ["backup-my.cnf", "[mysqld]"], ["hb_ddl.log", ""]]) {
      writeFileSync(join(dest, name!), text!);
      chmodSync(join(dest, name!), 0o644);
    }
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      "backup-my.cnf": file(0o644, "[mysqld]"),
      f: file(0o644, "x"),
      "hb_ddl.log": file(0o644, ""),
      xtrabackup_info: file(0o644, "info"),
    });
    expect(existsSync(join(dest, ".hb", "data"))).toBe(false);
    expect(existsSync(join(dest, ".hb", "tree"))).toBe(false);
  });

  test("a directory without write permission is filled before its mode is set", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["ro", "1:2", DIR | 0o555]]);
    b.list("1:2", DIR | 0o555, [["f", "1:3", REG | 0o444]]);
    b.copy("1:3", "read only", REG | 0o444);
    b.write("1:3", 0, "READ");
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ ro: dir(0o555), "ro/f": file(0o444, "READ only") });
  });
});
