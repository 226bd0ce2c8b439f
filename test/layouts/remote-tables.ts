// Tables whose files live outside the datadir (docs/layout.md "Remote table files"): InnoDB DATA DIRECTORY
// (an .isl in the datadir), a partitioned table with DATA DIRECTORY on some partitions (one .isl each), and
// MyISAM and Aria DATA/INDEX DIRECTORY (symlinks). All in directories under the case's own.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "mysql2/promise";

export const REMOTE_DIRS = ["ext", "part", "myisam", "aria"];

/** The CREATE TABLE statements, their DATA/INDEX DIRECTORY under `dir`; `suffix` names a second set. */
export function remoteTables(dir: string, suffix = ""): string[] {
  const cols = "(id INT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(200) NOT NULL)";
  return [
    `CREATE TABLE lay.remote${suffix} ${cols} ENGINE=InnoDB DATA DIRECTORY='${join(dir, "ext")}'`,
    `CREATE TABLE lay.parts${suffix} ${cols} ENGINE=InnoDB PARTITION BY RANGE (id) (
       PARTITION p0 VALUES LESS THAN (100),
       PARTITION p1 VALUES LESS THAN (1000) DATA DIRECTORY='${join(dir, "part")}',
       PARTITION p2 VALUES LESS THAN MAXVALUE DATA DIRECTORY='${join(dir, "part")}')`,
    `CREATE TABLE lay.my${suffix} ${cols} ENGINE=MyISAM DATA DIRECTORY='${join(dir, "myisam")}' INDEX DIRECTORY='${join(dir, "myisam")}'`,
    `CREATE TABLE lay.ar${suffix} ${cols} ENGINE=Aria DATA DIRECTORY='${join(dir, "aria")}' INDEX DIRECTORY='${join(dir, "aria")}'`,
  ];
}

export const tableNames = (suffix = "") => ["remote", "parts", "my", "ar"].map((t) => `lay.${t}${suffix}`);

export const makeRemoteDirs = (dir: string) => REMOTE_DIRS.forEach((d) => mkdirSync(join(dir, d)));

export async function createAndFill(db: Connection, dir: string, suffix = ""): Promise<void> {
  await db.query("CREATE DATABASE IF NOT EXISTS lay");
  for (const sql of remoteTables(dir, suffix)) await db.query(sql);
  for (const t of tableNames(suffix))
    for (let i = 1; i <= 150; i += 10) await db.query(`INSERT INTO ${t} SELECT seq, seq, REPEAT('r', 100 + seq % 100) FROM lay.seq_${i}_to_${i + 9}`);
}

/** One small write to one of the tables (the partitioned one across its partitions). */
export async function writeRemote(db: Connection, i: number, suffix = ""): Promise<void> {
  const t = tableNames(suffix)[i % 4]!;
  if (i % 2 === 0) await db.query(`INSERT INTO ${t} VALUES (?, ?, REPEAT('w', 150))`, [2000 + i, i]);
  else await db.query(`UPDATE ${t} SET v = v + 1 WHERE id = ?`, [1 + (i % 150)]);
}
