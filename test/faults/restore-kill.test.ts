// hb restore SIGKILLed at many points (HB_DEBUG_SYNC restore-*: before the Nth entry is renamed or copied,
// with a copy under its temporary name, with everything placed but the journal open), each followed by the
// documented recovery, the same command run again. Each restored datadir starts a server that, rolled
// forward with the source's binlog from the backup's coordinates, has every table's CHECKSUM equal to the
// source's. Between the kill and the recovery a restore elsewhere is refused naming the interrupted --move.
// Backups that lost entries without a restore journal (an older hb's --move) or were moved out are refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { isBackupRecord } from "../../src/dest";
import { applyBinlogFrom } from "../helpers/binlog";
import { hbPausedAtPoint } from "../helpers/faults";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB, type Server } from "../helpers/mariadb";

let source: Server;
const tmp = tempDir("restore-kill");
let base: string; // a prepared backup, copied for each case
let entries: string[]; // what a restore places (the datadir's top-level entries of the backup)
let serverId = 10;


beforeAll(async () => {
  source = await startMariaDB({ binlog: true });
  for (const db of ["d1", "d2", "d3"]) {
    await source.query(`CREATE DATABASE ${db}`);
    await source.query(`CREATE TABLE ${db}.i (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB`);
    await source.query(`CREATE TABLE ${db}.a (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=Aria`);
    await source.query(`INSERT INTO ${db}.i SELECT seq, MD5(seq) FROM mysql.seq_1_to_2000`);
    await source.query(`INSERT INTO ${db}.a SELECT seq, MD5(seq) FROM mysql.seq_1_to_500`);
  }
  base = join(tmp.path, "base");
  const backup = await run([HB, "backup", "--socket", source.socket, "--user", "root", base], { timeoutMs: 300_000 });
  expect(backup.code).toBe(0);
  expect((await run([HB, "prepare", base], { timeoutMs: 300_000 })).code).toBe(0);
  // The source goes on: the restored server reaches it only through the binlog from the backup's coordinates.
  for (const db of ["d1", "d2", "d3"]) {
    await source.query(`UPDATE ${db}.i SET v = CONCAT(v, 'x') WHERE id % 7 = 0`);
    await source.query(`INSERT INTO ${db}.a VALUES (10000, 'after the backup')`);
  }
  entries = readdirSync(base).filter((n) => !isBackupRecord(n));
}, 300_000);

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

function freshBackup(name: string): string {
  const dest = join(tmp.path, name);
  cpSync(base, dest, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  return dest;
}

/** A server on the restored datadir, rolled forward from the backup's binlog coordinates, equals the source. */
async function equalsSource(backup: string, datadir: string): Promise<void> {
  expect(readdirSync(datadir).filter((n) => n.startsWith(".hb-restore-"))).toEqual([]);
  const [file, position] = readFileSync(join(backup, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
  await using restored = await startMariaDB({ datadir, binlog: false, serverId: serverId++, shim: false });
  await applyBinlogFrom(source, restored, file!, position!);
  expect(await checksumAll(restored)).toEqual(await checksumAll(source));
}

describe("hb restore SIGKILLed, then the same command again", () => {
  const cases = () => {
    const n = entries.length;
    const move = ["restore-planned", ...Array.from({ length: n }, (_, i) => `restore-entry:${i + 1}`), "restore-placed"];
    const copy = ["restore-planned", "restore-entry:2", "restore-copied:1", `restore-copied:${Math.ceil(n / 2)}`, `restore-copied:${n}`, "restore-placed"];
    return { move, copy };
  };

  test("the backup has enough entries to kill between", () => {
    expect(entries.length).toBeGreaterThanOrEqual(10);
  });

  for (const move of [true, false])
    test(`${move ? "--move" : "copy"}: killed at each point, finished by running it again`, async () => {
      const points = cases()[move ? "move" : "copy"];
      for (const point of points) {
        const name = `${move ? "m" : "c"}-${point.replace(":", "-")}`;
        const dest = freshBackup(name);
        const datadir = join(tmp.path, `${name}-datadir`);
        const args = ["restore", dest, "--datadir", datadir, ...(move ? ["--move"] : [])];
        {
          await using hb = await hbPausedAtPoint(args, point);
          hb.proc.kill("SIGKILL");
          expect(await hb.exited).not.toBe(0);
        }
        if (move && point !== "restore-planned") {
          // Part of the backup is in `datadir` now: a restore anywhere else is refused, naming the way out.
          const elsewhere = await run([HB, "restore", dest, "--datadir", join(tmp.path, `${name}-other`)]);
          expect(elsewhere.code).toBe(10);
          expect(elsewhere.stderr).toContain(`moved to ${datadir} by an interrupted hb restore --move`);
          expect(elsewhere.stderr).toContain(`hb restore ${dest} --datadir ${datadir} --move`);
          expect(existsSync(join(tmp.path, `${name}-other`))).toBe(false);
        }
        const again = await run([HB, ...args]);
        if (again.code !== 0) console.error(`${point}: ${again.stderr}`);
        expect(again.code).toBe(0);
        expect(again.stderr).toContain(`${entries.length} entries`);
        if (point !== "restore-planned") expect(again.stderr).toContain("an interrupted restore, finished");
        expect(readdirSync(datadir).sort()).toEqual([...entries].sort());
        await equalsSource(dest, datadir);
      }
    }, 900_000);
});

describe("hb restore refuses a backup that is not whole", () => {
  test("a finished --move: the backup says where its entries went (exit 10)", async () => {
    const dest = freshBackup("moved-out");
    const datadir = join(tmp.path, "moved-out-datadir");
    expect((await run([HB, "restore", dest, "--datadir", datadir, "--move"])).code).toBe(0);
    const again = await run([HB, "restore", dest, "--datadir", join(tmp.path, "moved-out-again")]);
    expect(again.code).toBe(10);
    expect(again.stderr).toContain(`was moved out into ${datadir} by hb restore --move`);
    expect(existsSync(join(tmp.path, "moved-out-again"))).toBe(false);
  }, 120_000);

  test("entries missing without a restore journal (an older hb's interrupted --move): refused by name, target untouched", async () => {
    const dest = freshBackup("partial");
    const away = join(tmp.path, "partial-away");
    mkdirSync(away);
    for (const name of ["d2", "mysql"]) renameSync(join(dest, name), join(away, name));
    const target = join(tmp.path, "partial-datadir");
    const r = await run([HB, "restore", dest, "--datadir", target]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/is not whole: 2 of its \d+ entries are missing \((d2, mysql|mysql, d2)\)/);
    expect(existsSync(target)).toBe(false);
  }, 120_000);
});
