// hb prepare refuses damaged or incomplete backups with exit code 10 (or 7 for an unusable DEST, 2 for a
// --recover it cannot honour) and changes nothing in DEST when it does; a second prepare is a no-op.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../../src/errors";
import { encodeRecord, RecType } from "../../src/journal/format";
import { prepareBackup } from "../../src/prepare";
import { HB, run, tempDir } from "../helpers/harness";
import { Backup, DIR, OUTSIDE, REG, snapshot } from "./prepare-fixture";

const R = "1:1";

function setup() {
  const t = tempDir("hb-prepare");
  const dest = join(t.path, "backup");
  const b = new Backup(dest).root(R);
  b.list(R, DIR | 0o755, [
    ["d", "1:2", DIR | 0o755],
    ["f", "1:3", REG | 0o644],
  ]);
  b.list("1:2", DIR | 0o755, []);
  b.copy("1:3", "content");
  return { t, b, dest };
}

/** Prepare fails with this exit code and these fragments in its message, and DEST is byte-for-byte as before. */
async function refused(dest: string, exitCode: number, ...fragments: string[]): Promise<void> {
  const before = snapshot(dest, true);
  let caught: unknown;
  try {
    await prepareBackup(dest, { quiet: true });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HbError);
  const e = caught as HbError;
  for (const f of fragments) expect(e.message).toContain(f);
  expect(e.exitCode).toBe(exitCode);
  expect(snapshot(dest, true)).toEqual(before);
}

describe("prepare refuses a damaged journal before changing anything", () => {
  test("bad crc: one flipped byte, named by the record's offset", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "x");
    const at = b.write("1:3", 100, "some bytes");
    b.write("1:3", 200, "y");
    b.finish({ journal: (j) => ((j[at + 83] = j[at + 83]! ^ 0x20), j) });
    await refused(dest, 10, `journal ${dest}/.hb/journal is damaged at byte ${at}: bad crc`);
  });

  test("a journal cut in the middle of a record", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "x");
    const at = b.write("1:3", 100, "0123456789abcdef");
    b.finish({ journal: (j) => j.subarray(0, at + 90) });
    await refused(dest, 10, `damaged at byte ${at}: the file ends inside a record`);
  });

  test("no END record", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "x");
    b.finish({ end: false });
    await refused(dest, 10, `damaged at byte ${b.head}: no END record`);
  });

  test("a record whose pos is not its offset", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "x");
    const at = b.trunc("1:3", 7);
    b.finish({ journal: (j) => (j.set(encodeRecord({ type: RecType.TRUNC, ident: "1:3", off: 7 }, at + 8), at), j) });
    await refused(dest, 10, `damaged at byte ${at}: record says it is at position ${at + 8}`);
  });
});

describe("prepare refuses what is not a finished backup", () => {
  test("no manifest", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish({ manifest: false });
    await refused(dest, 10, `${dest} is not an hb backup (no .hb/manifest.json)`);
  });

  test("not a backup directory at all", async () => {
    using t = tempDir("hb-prepare");
    mkdirSync(join(t.path, "x"));
    await refused(join(t.path, "x"), 10, "is not an hb backup (no .hb/manifest.json)");
  });

  test("state copying: the backup did not finish", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish({ state: "copying", manifest: false });
    await refused(dest, 10, `backup at ${dest} is incomplete (state: copying): the backup did not finish; take a new one`);
  });


  test("a manifest that is not JSON, and one with a copy outside .hb/data", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish();
    writeFileSync(join(dest, ".hb", "manifest.json"), "{ not json");
    await refused(dest, 10, "manifest.json is damaged: not valid JSON");
    const m = b.manifest();
    m.copies[0]!.file = ".hb/data/../../../etc/passwd";
    writeFileSync(join(dest, ".hb", "manifest.json"), JSON.stringify(m));
    await refused(dest, 10, "manifest.json is damaged: bad copy");
  });

  test("a missing journal, a missing copy, a copy of the wrong size", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish();
    const data = join(dest, ".hb", "data", "1");
    truncateSync(data, 3);
    await refused(dest, 10, "cannot prepare f (ident 1:3): its copy .hb/data/1 is 3 bytes, the manifest says 7");
    rmSync(data);
    await refused(dest, 10, "cannot prepare f (ident 1:3): its copy .hb/data/1 is missing");
    rmSync(join(dest, ".hb", "journal"));
    await refused(dest, 10, "journal is missing");
  });

  test("DEST holding something that is not part of the backup (exit 7)", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish();
    writeFileSync(join(dest, "notes.txt"), "mine");
    await refused(dest, 7, `${dest} contains notes.txt, which is not part of the backup`);
  });

  test("a tree entry named like a metadata file already in DEST (exit 7)", async () => {
    using t = tempDir("hb-prepare");
    const dest = join(t.path, "backup");
    const b = new Backup(dest).root(R);
    b.list(R, DIR | 0o755, [["xtrabackup_info", "1:3", REG | 0o644]]);
    b.copy("1:3", "from the source");
    b.finish();
    writeFileSync(join(dest, "xtrabackup_info"), "metadata");
    await refused(dest, 7, "entry xtrabackup_info");
  });
});

describe("prepare refuses a backup whose copier missed something, naming the path and ident", () => {
  test("(m) a reachable file with no copy, not created during the backup", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list("1:2", DIR | 0o755, [["lost", "1:40", REG | 0o644]]);
    b.finish();
    await refused(dest, 10, "cannot prepare d/lost (ident 1:40): no copy of the file was taken");
  });

  test("a reachable directory that was never listed", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.bind("1:2", "sub", "1:41", DIR | 0o755);
    b.finish();
    await refused(dest, 10, "cannot prepare d/sub (ident 1:41): a directory that was never listed");
  });

  test("the root never listed", async () => {
    using t = tempDir("hb-prepare");
    const dest = join(t.path, "backup");
    new Backup(dest).root(R).finish();
    await refused(dest, 10, "cannot prepare . (ident 1:1): a directory that was never listed");
  });

  test("a file that came in from outside after it was copied", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.unbind(R, "f", "1:3");
    b.bind(R, "f", "1:3", REG | 0o644, OUTSIDE);
    b.finish();
    await refused(dest, 10, "cannot prepare f (ident 1:3): the file came in from outside the roots");
  });

  test("a directory that came in from outside after it was listed", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.unbind(R, "d", "1:2");
    b.bind(R, "d", "1:2", DIR | 0o755, OUTSIDE);
    b.finish();
    await refused(dest, 10, "cannot prepare d (ident 1:2): the directory came in from outside the roots");
  });

  test("a file found in a directory that came in from outside, copied before it came in", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list("1:2", DIR | 0o755, [["g", "1:50", REG | 0o644]]);
    b.copy("1:50", "stale");
    b.unbind(R, "d", "1:2");
    b.bind(R, "d", "1:2", DIR | 0o755, OUTSIDE);
    b.list("1:2", DIR | 0o755, [["g", "1:50", REG | 0o644]]); // listed again, but g was not copied again
    b.finish();
    await refused(dest, 10, "cannot prepare d/g (ident 1:50): its directory came in from outside the roots");
  });

  test("the same directory under two names", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.bind(R, "again", "1:2", DIR | 0o755);
    b.finish();
    await refused(dest, 10, "cannot prepare d (ident 1:2): the same directory is also at again");
  });
});

describe("a prepare that fails while it changes DEST", () => {
  test("leaves the backup marked preparing, and a later prepare finishes it once the cause is gone", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.finish();
    writeFileSync(join(dest, ".hb", "tree"), "in the way"); // mkdir .hb/tree fails: an I/O error mid-prepare
    let caught: unknown;
    try {
      await prepareBackup(dest, { quiet: true });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HbError);
    expect((caught as HbError).kind).toBe("io");
    expect(readFileSync(join(dest, ".hb", "state"), "utf8")).toBe("preparing\n");
    rmSync(join(dest, ".hb", "tree"));
    const again = await prepareBackup(dest, { quiet: true });
    expect(again.resumedAfter).toBe("none");
    expect(snapshot(dest)).toEqual({ d: "dir 755", f: 'file 644 "content"' });
  });
});

describe("prepare twice", () => {
  test("(l) the second prepare changes nothing and says so", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "C");
    b.finish();
    const first = await prepareBackup(dest, { quiet: true });
    expect(first.alreadyPrepared).toBe(false);
    const after = snapshot(dest, true);
    expect(after.f).toBe('file 644 "Content"');
    const second = await prepareBackup(dest, { quiet: true });
    expect(second).toMatchObject({ alreadyPrepared: true, replayedBytes: 0, files: 0 });
    expect(snapshot(dest, true)).toEqual(after);
  });
});

describe("--recover without a server to run it", () => {
  test("fails with exit 2 before the replay, and DEST can still be prepared", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.write("1:3", 0, "C");
    b.finish();
    // A server backup of a version no mariadbd here has.
    const manifest = JSON.parse(readFileSync(join(dest, ".hb", "manifest.json"), "utf8"));
    writeFileSync(join(dest, ".hb", "manifest.json"), JSON.stringify({ ...manifest, kind: "mariadb" }));
    writeFileSync(join(dest, "xtrabackup_info"), "server_version = 99.9.9-MariaDB\n");
    const before = snapshot(dest, true);
    const r = await run([HB, "prepare", "--recover", dest]);
    expect(r.stderr).toContain("no mariadbd of version 99.9.9-MariaDB found");
    expect(r.code).toBe(2);
    expect(snapshot(dest, true)).toEqual(before);
    expect((await run([HB, "prepare", "--no-recover", dest])).code).toBe(0);
    expect(snapshot(dest).f).toBe(`file 644 "Content"`);
  });
});
