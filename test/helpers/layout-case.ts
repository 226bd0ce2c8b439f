// One case of the layout matrix (test/layouts/): a real server configured as the case says, tables, a small
// writer running through `hb backup`, then `hb prepare` and `hb restore --datadir NEW`, and a server started
// on the result with the same options. What must hold, whatever the configuration:
// - every table's CHECK TABLE ... EXTENDED is OK on the restored server, and its error log has no [ERROR];
// - after the source's binlog is replayed from xtrabackup_binlog_info, every table's CHECKSUM TABLE equals the
//   source's;
// - the source's files (its whole directory and the case's own, hashed and stat'ed) are the same after prepare
//   and restore as before them: nothing outside DEST and NEW was touched.
// `control: "mariabackup"` runs the same case with mariabackup --backup/--prepare/--copy-back, so that a case
// nothing can pass shows as such.
import { expect } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "mysql2/promise";
import { applyBinlogFrom } from "./binlog";
import { snapshotDiff, snapshotFiles } from "./file-snapshot";
import { HB, run, tempDir, type RunResult } from "./harness";
import { checksumAll, installDatadir, startMariaDB, type Server } from "./mariadb";

/** Where the case's paths point: `dir` is the case's own directory (key files, directories outside the datadir). */
export interface CasePlace {
  role: "source" | "restored";
  dir: string;
  /** The restored datadir (role "restored" only). */
  datadir?: string;
}

export interface LayoutCase {
  /** Extra mariadbd options, for the source and for the server on the restored copy. */
  serverArgs?: (at: CasePlace) => string[];
  /** Writes the case's own files (key files, directories) into `dir` before the source starts (and its datadir, with installArgs). */
  files?: (dir: string, sourceDatadir?: string) => void | Promise<void>;
  /** mariadb-install-db options the datadir needs from its creation on (e.g. a page size); default: a copy of the usual one. */
  installArgs?: string[] | ((dir: string) => string[]);
  /** Creates the tables (and any state) the case is about, before the backup. */
  setup: (db: Connection) => Promise<void>;
  /** One small write; called over and over on a connection of its own while the backup runs. */
  write: (db: Connection, i: number) => Promise<void>;
  /** The restored server's options must be derived from the new location by these restore options. */
  restoreArgs?: (at: CasePlace) => string[];
  prepareArgs?: (dir: string) => string[];
  /** Runs after the source stopped, before prepare (e.g. takes a key file away to play another host). */
  beforePrepare?: (dir: string, dest: string) => Promise<void>;
  /** Checks on the prepared backup, before restore (e.g. a server started on it directly). */
  afterPrepare?: (dest: string, dir: string) => Promise<void>;
  /** Runs after restore, before the source restarts (puts back what beforePrepare took away). */
  afterRestore?: (dir: string) => Promise<void>;
  backupArgs?: string[];
  /** Read the source's binlog through the source (required when it is encrypted). */
  remoteBinlog?: boolean;
  control?: "mariabackup";
  /** Changes to the source's files a control is known to make (why: said in the test's name). */
  toleratedSourceChanges?: RegExp;
}

export interface CaseResult {
  writes: number; // writes the writer made while the backup ran
  backupMs: number;
  prepareMs: number;
  restoreMs: number;
  tables: string[]; // every table CHECK TABLE ... EXTENDED passed for
}

const SKIP_SCHEMAS = ["information_schema", "performance_schema", "sys"];

/** The writer: `write` over and over until stopped, a few ms apart. */
function startWriter(server: Server, write: LayoutCase["write"]) {
  let running = true;
  let count = 0;
  const done = (async () => {
    const db = await server.connect();
    try {
      while (running) {
        await write(db, count++);
        await Bun.sleep(5);
      }
    } finally {
      db.destroy();
    }
  })();
  done.catch(() => {}); // observed through stop()
  return {
    count: () => count,
    stop: async () => {
      running = false;
      await done;
      return count;
    },
  };
}

async function timed(what: string, cmd: string[]): Promise<{ ms: number; result: RunResult }> {
  const started = performance.now();
  const result = await run(cmd, { timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-2000)}`);
  return { ms: Math.round(performance.now() - started), result };
}

/** Every table outside the virtual schemas, the system tables included (log tables are the point of some cases). */
async function checkAllTables(server: Server): Promise<string[]> {
  const tables = await server.query<{ db: string; name: string }[]>(
    `SELECT table_schema AS db, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN (?) ORDER BY 1, 2`,
    [SKIP_SCHEMAS],
  );
  const names: string[] = [];
  for (const { db, name } of tables) {
    const rows = await server.query<{ Msg_type: string; Msg_text: string }[]>(`CHECK TABLE \`${db}\`.\`${name}\` EXTENDED`);
    const bad = rows.filter((r) => !(r.Msg_type === "status" && r.Msg_text === "OK") && r.Msg_type !== "note");
    expect({ table: `${db}.${name}`, bad }).toEqual({ table: `${db}.${name}`, bad: [] });
    names.push(`${db}.${name}`);
  }
  return names;
}

const errorLines = (log: string) => readFileSync(log, "utf8").split("\n").filter((l) => l.includes("[ERROR]"));

export async function runLayoutCase(c: LayoutCase): Promise<CaseResult> {
  await using work = tempDir("hb-layout");
  const dir = join(work.path, "case");
  const dest = join(work.path, "backup");
  const restored = join(work.path, "restored");
  mkdirSync(dir);
  const installArgs = typeof c.installArgs === "function" ? c.installArgs(dir) : c.installArgs;
  const datadir = installArgs ? join(work.path, "source-data") : undefined;
  if (datadir) mkdirSync(datadir);
  await c.files?.(dir, datadir);
  if (installArgs) await installDatadir(datadir!, installArgs);
  const args = (at: CasePlace) => c.serverArgs?.(at) ?? [];
  await using source = await startMariaDB({ binlog: true, serverId: 1, datadir, extraArgs: args({ role: "source", dir }) });
  const setupDb = await source.connect();
  await c.setup(setupDb);
  await setupDb.end();

  const writer = startWriter(source, c.write);
  await Bun.sleep(200);
  const before = writer.count();
  const backup =
    c.control === "mariabackup"
      ? await timed("mariabackup --backup", ["mariabackup", "--no-defaults", "--backup", `--target-dir=${dest}`, `--socket=${source.socket}`, "--user=root"])
      : await timed("hb backup", [HB, "backup", "--socket", source.socket, "--user", "root", ...(c.backupArgs ?? []), dest]);
  const writes = writer.count() - before;
  await Bun.sleep(300); // writes after the backup: the binlog must carry them
  await writer.stop();

  // The source stops while prepare and restore run, so that its files stand still to be compared.
  const want = await checksumAll(source);
  await source.stop();
  await c.beforePrepare?.(dir, dest);
  const roots = [source.dir, dir, ...(datadir ? [datadir] : [])];
  const untouched = snapshotFiles(roots);
  const prepare =
    c.control === "mariabackup"
      ? await timed("mariabackup --prepare", ["mariabackup", "--prepare", `--target-dir=${dest}`])
      : await timed("hb prepare", [HB, "prepare", ...(c.prepareArgs?.(dir) ?? []), dest]);
  await c.afterPrepare?.(dest, dir);
  const place: CasePlace = { role: "restored", dir, datadir: restored };
  const restore =
    c.control === "mariabackup"
      ? await timed("mariabackup --copy-back", ["mariabackup", "--no-defaults", "--copy-back", `--target-dir=${dest}`, `--datadir=${restored}`])
      : await timed("hb restore", [HB, "restore", dest, "--datadir", restored, ...(c.restoreArgs?.(place) ?? [])]);
  const tolerated = c.toleratedSourceChanges;
  expect(snapshotDiff(untouched, snapshotFiles(roots)).filter((line) => !tolerated?.test(line))).toEqual([]);
  await c.afterRestore?.(dir);

  await using again = await startMariaDB({ datadir: source.datadir, binlog: true, serverId: 1, shim: false, extraArgs: args({ role: "source", dir }) });
  await using target = await startMariaDB({ datadir: restored, binlog: false, serverId: 2, shim: false, extraArgs: args(place) });
  const tables = await checkAllTables(target);
  expect(await checksumAll(target)).not.toEqual(want); // the writes after the backup: the replay must matter
  const [file, position] = readFileSync(join(dest, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
  await applyBinlogFrom(again, target, file!, position!, { remote: c.remoteBinlog });
  expect(await checksumAll(target)).toEqual(want);
  expect(await checksumAll(again)).toEqual(want);
  expect(errorLines(target.errorLog)).toEqual([]);
  return { writes, backupMs: backup.ms, prepareMs: prepare.ms, restoreMs: restore.ms, tables };
}
