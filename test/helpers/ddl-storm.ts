// A DDL storm for the replica oracle: on a connection of its own, round after round of table DDL of every
// kind hb must survive (CREATE, RENAME, ALTER … FORCE, ADD INDEX, TRUNCATE, ENGINE changes, DROP,
// CREATE/DROP DATABASE), with rows written in between, until stopped.
import type { Server } from "./mariadb";

export interface DdlStorm {
  readonly statements: string[];
  stop(): Promise<string[]>;
}

function roundOf(i: number): string[] {
  const t = `ddl.t${i}`;
  const r = `ddl.r${i}`;
  const engines = ["Aria", "MyISAM", "InnoDB"];
  return [
    `CREATE TABLE ${t} (id INT PRIMARY KEY AUTO_INCREMENT, v INT NOT NULL, s VARCHAR(64)) ENGINE=InnoDB`,
    `INSERT INTO ${t} (v, s) VALUES (${i}, 'a'), (${i + 1}, 'b'), (${i + 2}, 'c')`,
    `RENAME TABLE ${t} TO ${r}`,
    `ALTER TABLE ${r} FORCE`,
    `ALTER TABLE ${r} ADD INDEX iv (v)`,
    `INSERT INTO ${r} (v, s) SELECT v + 10, s FROM ${r}`,
    `TRUNCATE TABLE ${r}`,
    `INSERT INTO ${r} (v, s) VALUES (${i * 7}, 'after truncate')`,
    `ALTER TABLE ${r} ENGINE=${engines[i % 3]}`,
    ...(i >= 3 ? [`DROP TABLE IF EXISTS ddl.r${i - 3}`] : []),
    `CREATE DATABASE ddl_db${i}`,
    `CREATE TABLE ddl_db${i}.x (id INT PRIMARY KEY) ENGINE=InnoDB`,
    `INSERT INTO ddl_db${i}.x VALUES (${i})`,
    ...(i >= 2 ? [`DROP DATABASE IF EXISTS ddl_db${i - 2}`] : []),
  ];
}

export async function ddlStorm(server: Server, { pauseMs = 20 } = {}): Promise<DdlStorm> {
  const conn = await server.connect();
  await conn.query("CREATE DATABASE IF NOT EXISTS ddl");
  const statements: string[] = [];
  let running = true;
  const loop = (async () => {
    try {
      for (let i = 0; running; i++) {
        for (const sql of roundOf(i)) {
          if (!running) break;
          await conn.query(sql);
          statements.push(sql);
          await Bun.sleep(pauseMs);
        }
      }
    } finally {
      conn.destroy();
    }
  })();
  loop.catch(() => {});
  return {
    statements,
    async stop() {
      running = false;
      await loop;
      return statements;
    },
  };
}
