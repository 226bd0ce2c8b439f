// The tables the layout cases write: a row table in schema `lay` with the case's engine and table options,
// filled a little before the backup, and a writer that inserts and updates rows of it while the backup runs.
import type { Connection } from "mysql2/promise";
import type { LayoutCase } from "../helpers/layout-case";

/** setup and write for table lay.<name> (`options`: what follows the column list, e.g. "ENGINE=Aria"; `keys`: more indexes). */
export function rowTable(name: string, options: string, keys = ""): Pick<LayoutCase, "setup" | "write"> {
  const table = `lay.${name}`;
  return {
    async setup(db: Connection) {
      await db.query("CREATE DATABASE IF NOT EXISTS lay");
      await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(200) NOT NULL${keys}) ${options}`);
      for (let i = 1; i <= 200; i++) await db.query(`INSERT INTO ${table} VALUES (?, ?, REPEAT(CHAR(65 + ? % 26), 200))`, [i, i, i]);
    },
    async write(db: Connection, i: number) {
      if (i % 2 === 0) await db.query(`INSERT INTO ${table} VALUES (?, ?, REPEAT('w', 150 + ? % 50))`, [1000 + i, i, i]);
      else await db.query(`UPDATE ${table} SET v = v + 1, pad = REPEAT('u', 100 + ? % 100) WHERE id = ?`, [i, 1 + (i % 200)]);
    },
  };
}

/** Both: the setups one after the other, the writes alternating. */
export function both(a: Pick<LayoutCase, "setup" | "write">, b: Pick<LayoutCase, "setup" | "write">): Pick<LayoutCase, "setup" | "write"> {
  return {
    setup: async (db) => {
      await a.setup(db);
      await b.setup(db);
    },
    write: (db, i) => (i % 2 === 0 ? a.write(db, i >> 1) : b.write(db, i >> 1)),
  };
}

/**
 * Flushes every dirty page and waits for InnoDB's checkpoint to catch up, so that the redo written afterwards
 * (the writer's) applies to pages as they are on disk: recovery must then read them, and decompress or decrypt
 * them, instead of rebuilding them from the redo alone.
 */
export async function checkpointNow(db: Connection): Promise<void> {
  await db.query("SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0.001, GLOBAL innodb_max_dirty_pages_pct = 0");
  for (let i = 0; i < 300; i++) {
    const [[row]] = (await db.query("SHOW GLOBAL STATUS LIKE 'Innodb_checkpoint_age'")) as unknown as [[{ Value: string }]];
    if (Number(row.Value) < 1024) break;
    await Bun.sleep(100);
  }
  await db.query("SET GLOBAL innodb_max_dirty_pages_pct = 90, GLOBAL innodb_max_dirty_pages_pct_lwm = 0");
}
