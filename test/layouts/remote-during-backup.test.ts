// Remote table files created while the backup runs (HB_DEBUG_SYNC stops hb right after its capture began):
// in a directory the backup captures, they are in the backup, and restore puts every remote file back where
// the source had it with its .isl or symlink, overwriting nothing; in a directory it does not capture, the
// backup fails naming the file, never a silent success. Prepare run by a user other than root, and prepare
// where a source directory recovery needs is missing.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync } from "node:fs";
import { join } from "node:path";
import { hbPausedAt } from "../helpers/faults";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB } from "../helpers/mariadb";
import { snapshotDiff, snapshotFiles } from "../helpers/file-snapshot";
import { createAndFill, makeRemoteDirs, REMOTE_DIRS, remoteTables } from "./remote-tables";
import { pointers } from "./prepared-dest";

describe("layout: remote table files", () => {
  test("in captured directories: backed up, and restored where the source had them", async () => {
    await using work = tempDir("hb-remote");
    const dir = join(work.path, "case");
    const dest = join(work.path, "backup");
    const restored = join(work.path, "restored");
    await run(["mkdir", dir]);
    makeRemoteDirs(dir);
    await using source = await startMariaDB({ binlog: false });
    const db = await source.connect();
    await createAndFill(db, dir);
    {
      await using hb = await hbPausedAt(source, dest, "stage-start");
      await createAndFill(db, dir, "_born"); // journaled only: the copier has not listed anything yet
      hb.proc.kill("SIGCONT");
      expect({ code: await hb.exited, stderr: hb.stderr().slice(-2000) }).toMatchObject({ code: 0 });
    }
    await db.end();
    const want = await checksumAll(source);
    await source.stop();

    const sourceFiles = [source.dir, dir];
    const before = snapshotFiles(sourceFiles);
    expect((await run([HB, "prepare", dest])).code).toBe(0);
    expect(pointers(dest)).toEqual([]);
    // Beside the source, restore would put them back onto the source's own files: it refuses, naming one.
    const refused = await run([HB, "restore", dest, "--datadir", restored]);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain(`${dir}/`);
    expect(existsSync(restored)).toBe(false);
    expect(snapshotDiff(before, snapshotFiles(sourceFiles))).toEqual([]);

    // The source's directories gone (another host, or a lost disk): restore puts the files there again.
    for (const d of REMOTE_DIRS) renameSync(join(dir, d), join(dir, `${d}.source`));
    await run(["mkdir", ...REMOTE_DIRS.map((d) => join(dir, d))]);
    const restore = await run([HB, "restore", dest, "--datadir", restored]);
    expect({ code: restore.code, stderr: restore.stderr }).toMatchObject({ code: 0 });
    expect(readFileSync(join(restored, "lay", "remote_born.isl"), "utf8")).toBe(join(dir, "ext", "lay", "remote_born.ibd"));
    expect(readFileSync(join(restored, "lay", "parts_born#P#p2.isl"), "utf8")).toBe(join(dir, "part", "lay", "parts_born#P#p2.ibd"));
    expect(readlinkSync(join(restored, "lay", "my_born.MYD"))).toBe(join(dir, "myisam", "my_born.MYD"));
    expect(lstatSync(join(dir, "ext", "lay", "remote_born.ibd")).isFile()).toBe(true);
    expect(existsSync(join(restored, "lay", "remote_born.ibd"))).toBe(false);

    await using target = await startMariaDB({ datadir: restored, binlog: false, shim: false });
    for (const t of ["remote", "parts", "my", "ar"].flatMap((n) => [`lay.${n}`, `lay.${n}_born`])) {
      const rows = await target.query<{ Msg_text: string }[]>(`CHECK TABLE ${t} EXTENDED`);
      expect({ t, msg: rows.at(-1)?.Msg_text }).toEqual({ t, msg: "OK" });
    }
    expect(await checksumAll(target)).toEqual(want);
    await target.stop();
    expect(readFileSync(target.errorLog, "utf8").split("\n").filter((l) => l.includes("[ERROR]"))).toEqual([]);
  }, 240_000);

  // Not root: the recovery server's mount namespace is in a user namespace of its own, where it is root.
  test("prepare as a user other than root maps the remote directories too", async () => {
    await using work = tempDir("hb-remote");
    chmodSync(work.path, 0o755); // nobody reaches the case's directories through it
    const dir = join(work.path, "case");
    const dest = join(work.path, "backup");
    await run(["mkdir", dir]);
    makeRemoteDirs(dir);
    await using source = await startMariaDB({ binlog: false });
    const db = await source.connect();
    await createAndFill(db, dir);
    await db.end();
    expect((await run([HB, "backup", "--socket", source.socket, "--user", "root", dest])).code).toBe(0);
    const want = await checksumAll(source);
    await source.stop();
    expect((await run(["chown", "-R", "nobody:nogroup", dest])).code).toBe(0);
    const before = snapshotFiles([source.dir, dir]);
    const prepare = await run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", HB, "prepare", "--recover", dest], { timeoutMs: 120_000 });
    expect({ code: prepare.code, stderr: prepare.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(prepare.stderr).toContain("crash recovery done");
    expect(snapshotDiff(before, snapshotFiles([source.dir, dir]))).toEqual([]);
    await using target = await startMariaDB({ datadir: dest, binlog: false, shim: false, extraArgs: ["--user=nobody"] });
    expect(await checksumAll(target)).toEqual(want);
  }, 240_000);

  // Prepared on another host: the source's directory is where recovery must see DEST's copy, so it must exist.
  test("a remote tablespace's source directory missing: prepare refuses before touching DEST; empty, it is enough", async () => {
    await using work = tempDir("hb-remote");
    const dir = join(work.path, "case");
    const dest = join(work.path, "backup");
    await run(["mkdir", dir]);
    makeRemoteDirs(dir);
    await using source = await startMariaDB({ binlog: false });
    const db = await source.connect();
    await createAndFill(db, dir);
    await db.end();
    expect((await run([HB, "backup", "--socket", source.socket, "--user", "root", dest])).code).toBe(0);
    const want = await checksumAll(source);
    await source.stop();
    renameSync(join(dir, "ext"), join(dir, "ext.elsewhere"));
    const refused = await run([HB, "prepare", "--recover", dest]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`needs ${join(dir, "ext", "lay")} to exist`);
    expect(readFileSync(join(dest, ".hb", "state"), "utf8").trim()).toBe("complete");
    mkdirSync(join(dir, "ext", "lay"), { recursive: true });
    const prepare = await run([HB, "prepare", "--recover", dest], { timeoutMs: 120_000 });
    expect({ code: prepare.code, stderr: prepare.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(readdirSync(join(dir, "ext", "lay"))).toEqual([]);
    await using target = await startMariaDB({ datadir: dest, binlog: false, shim: false });
    expect(await checksumAll(target)).toEqual(want);
  }, 240_000);

  test("in a directory the backup does not capture: the backup fails, naming the file", async () => {
    await using work = tempDir("hb-remote");
    const dir = join(work.path, "case");
    const dest = join(work.path, "backup");
    await run(["mkdir", "-p", join(dir, "later")]);
    await using source = await startMariaDB({ binlog: false });
    const db = await source.connect();
    await db.query("CREATE DATABASE lay");
    await using hb = await hbPausedAt(source, dest, "stage-start");
    await db.query(remoteTables(join(dir), "_late")[0]!.replace(join(dir, "ext"), join(dir, "later")));
    await db.query("INSERT INTO lay.remote_late VALUES (1, 1, 'x')");
    await db.end();
    hb.proc.kill("SIGCONT");
    expect(await hb.exited).toBe(9);
    expect(hb.stderr()).toContain(`lay/remote_late.isl → ${join(dir, "later", "lay", "remote_late.ibd")}`);
  }, 240_000);
});
