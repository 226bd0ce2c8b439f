// Throwaway MariaDB servers for tests: a temp dir, a unix socket, no networking, run as root, optionally with
// the shim preloaded. Every server this process starts is killed when the process exits, however it exits.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import mysql from "mysql2/promise";
import { SHIM, run, spawnBg, tempDir, waitFor } from "./harness";

export interface StartOptions {
  /** Preload the shim (default true). */
  shim?: boolean;
  /** The shim to preload instead of dist/libhbshim.so. */
  shimPath?: string;
  /** Binary log DATADIR/binlog.N (default true). */
  binlog?: boolean;
  /** Start on this existing datadir (e.g. a restored backup) instead of a fresh one; it is not removed. */
  datadir?: string;
  serverId?: number;
  extraArgs?: string[];
  /** How long to wait for `SELECT 1` (default 60 s). */
  timeoutMs?: number;
}

export interface Server extends AsyncDisposable {
  pid: number;
  socket: string;
  datadir: string;
  errorLog: string;
  /** The temp dir holding socket, pid file, error log and (unless opts.datadir) the datadir. */
  dir: string;
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
  /** A new connection of its own (for sessions that hold locks, or load generators); the caller ends it. */
  connect(): Promise<mysql.Connection>;
  /** Clean shutdown (SHUTDOWN, else SIGTERM), waits for exit. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit. */
  kill(): Promise<void>;
}

// Unix socket paths are limited to 108 bytes (sun_path) including the NUL.
const SUN_PATH_MAX = 107;
const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];
// Same sizes at install and at start, so the first start does not resize the redo log.
const SIZE_ARGS = ["--innodb-buffer-pool-size=128M", "--innodb-log-file-size=64M"];

const live = new Set<Subprocess>();
let pristine: Promise<string> | undefined;
let pristineDir: string | undefined;
let hooked = false;

// No server outlives this process. Two guards: every server runs under a parent-death signal (below), which
// covers SIGKILL and `bun test`, whose runner exits without emitting "exit"; and this hook, for `bun run`.
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const proc of live) proc.kill("SIGKILL");
    if (pristineDir && process.env.HB_KEEP_TEMP !== "1") rmSync(pristineDir, { recursive: true, force: true });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Pristine datadirs are named after their process; since the "exit" hook does not run under `bun test`, those
// of processes that are gone are removed here.
function sweepPristine(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = /^hb-pristine-(\d+)-/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** A new datadir by mariadb-install-db, with `extraArgs` (options it must have from its creation, e.g. a page size). */
export async function installDatadir(datadir: string, extraArgs: string[] = []): Promise<void> {
  // A private tmpdir: the install's temporary tables in a shared /tmp were seen removed under it (by another test
  // process's clean-up), failing the install with "Unknown table 'mysql.tmp_user_sys'".
  using tmp = tempDir("hb-install-tmp");
  chmodSync(tmp.path, 0o1777); // like /tmp: an install as another user (--user=mysql) writes there too
  const cmd = ["mariadb-install-db", "--no-defaults", `--datadir=${datadir}`, "--user=root", "--auth-root-authentication-method=normal"];
  const { code, stdout, stderr } = await run([...cmd, `--tmpdir=${tmp.path}`, ...SIZE_ARGS, ...extraArgs], { timeoutMs: 120_000, env: { LD_PRELOAD: undefined } });
  if (code !== 0) throw new Error(`mariadb-install-db failed (${code}):\n${stdout}\n${stderr}`);
}

// install-db costs about a second; each server gets a `cp -a` of one pristine datadir made once per process.
function pristineDatadir(): Promise<string> {
  pristine ??= (async () => {
    sweepPristine();
    pristineDir = mkdtempSync(join(tmpdir(), `hb-pristine-${process.pid}-`));
    const datadir = join(pristineDir, "data");
    await installDatadir(datadir);
    return datadir;
  })();
  // A failed install must not poison every later start.
  pristine.catch(() => {
    pristine = undefined;
  });
  return pristine;
}

function tail(path: string, lines = 40): string {
  if (!existsSync(path)) return "(no error log)";
  return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

function connectTo(socket: string): Promise<mysql.Connection> {
  return mysql.createConnection({ socketPath: socket, user: "root", password: "" });
}

let nextServerId = 1;

export async function startMariaDB(opts: StartOptions = {}): Promise<Server> {
  hookExit();
  const shim = opts.shim ?? true ? (opts.shimPath ?? SHIM) : undefined;
  // ld.so only warns about a missing preload and runs the server without it.
  if (shim && !existsSync(shim)) throw new Error(`shim not found: ${shim} (npm run build)`);
  const temp = tempDir("hb-mariadb");
  const dir = temp.path;
  // A server run as another user (extraArgs --user=mysql) writes its socket, pid and log here. mariadbd keeps
  // the first --user it is given, and its change of credentials clears the parent-death signal below.
  const user = opts.extraArgs?.find((a) => a.startsWith("--user="))?.slice(7);
  if (user && user !== "root") await run(["chown", user, dir]);
  const socket = join(dir, "mysql.sock");
  if (socket.length > SUN_PATH_MAX) throw new Error(`socket path too long for a unix socket (set TMPDIR shorter): ${socket}`);
  const datadir = opts.datadir ?? join(dir, "data");
  if (!opts.datadir) {
    const { code, stderr } = await run(["cp", "-a", await pristineDatadir(), datadir]);
    if (code !== 0) {
      temp[Symbol.dispose]();
      throw new Error(`cp -a of the pristine datadir failed: ${stderr}`);
    }
  }
  const errorLog = join(dir, "error.log");
  const serverId = opts.serverId ?? nextServerId++;
  const args = [
    "mariadbd",
    "--no-defaults",
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, "mariadbd.pid")}`,
    "--skip-networking",
    ...(user ? [] : ["--user=root"]),
    `--log-error=${errorLog}`,
    `--server-id=${serverId}`,
    // Relative: lands in the datadir and binlog.index holds "./binlog.N", so a copied datadir still finds its binlogs.
    ...(opts.binlog ?? true ? ["--log-bin=binlog"] : []),
    ...SIZE_ARGS,
    ...(opts.extraArgs ?? []),
  ];
  // setpriv execs mariadbd in place (same pid) with a parent-death signal: if this process is SIGKILLed
  // (no exit hook runs), the kernel kills the server. mariadbd --user=root changes no credentials, so it holds.
  const proc = spawnBg(["setpriv", "--pdeathsig", "KILL", "--", ...args], {
    env: { LD_PRELOAD: shim },
    stdout: "ignore",
    stderr: "pipe", // only ever "Could not increase max_open_files" before --log-error takes over; drained below
  });
  const stderr = new Response(proc.stderr).text();
  live.add(proc);
  proc.exited.then(() => live.delete(proc));

  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  const fail = async (why: string): Promise<never> => {
    proc.kill("SIGKILL");
    await proc.exited;
    const log = `${(await stderr).trim()}\n${tail(errorLog)}`;
    temp[Symbol.dispose]();
    throw new Error(`mariadbd ${why}; stderr and error log ${errorLog}:\n${log}`);
  };
  let state: string;
  try {
    state = await waitFor(
      async () => {
        if (exited()) return "exited";
        try {
          const conn = await connectTo(socket);
          await conn.query("SELECT 1");
          await conn.end();
          return "ready";
        } catch {
          return undefined;
        }
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 50, what: `mariadbd on ${socket}` },
    );
  } catch (error) {
    return fail((error as Error).message);
  }
  if (state === "exited") await fail(`exited during start (code ${proc.exitCode}, signal ${proc.signalCode})`);

  // A small pool: tests run a few statements concurrently (checksums while a load runs).
  const pool = mysql.createPool({ socketPath: socket, user: "root", password: "", connectionLimit: 4 });
  let stopping: Promise<void> | undefined;

  const server: Server = {
    pid: proc.pid,
    socket,
    datadir,
    errorLog,
    dir,
    async query(sql, params) {
      const [rows] = await pool.query(sql, params);
      return rows as never;
    },
    connect: () => connectTo(socket),
    stop() {
      stopping ??= (async () => {
        if (!exited()) {
          try {
            const conn = await connectTo(socket);
            await conn.query("SHUTDOWN").catch(() => {}); // the server may drop us before the OK
            conn.destroy();
          } catch {
            proc.kill("SIGTERM");
          }
          const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
          await proc.exited;
          clearTimeout(timer);
        }
        await pool.end().catch(() => {});
      })();
      return stopping;
    },
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
      await server.stop();
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      await temp[Symbol.asyncDispose]();
    },
  };
  return server;
}

export interface TableChecksum {
  table: string;
  checksum: string | null;
}

async function userTables(server: Server): Promise<{ db: string; name: string }[]> {
  const rows = await server.query<{ db: string; name: string }[]>(
    `SELECT table_schema AS db, table_name AS name FROM information_schema.tables
     WHERE table_type IN ('BASE TABLE', 'SEQUENCE') AND table_schema NOT IN (?)`,
    [SYSTEM_SCHEMAS],
  );
  return rows;
}

/** Every user table (`db.t`, sorted): base tables and sequences, not views, not the system schemas. */
export async function listTables(server: Server): Promise<string[]> {
  return (await userTables(server)).map((row) => `${row.db}.${row.name}`).sort();
}

/** CHECKSUM TABLE of every user table, sorted by name; null where the engine cannot checksum. */
export async function checksumAll(server: Server): Promise<TableChecksum[]> {
  const result: TableChecksum[] = [];
  for (const { db, name } of await userTables(server)) {
    const [row] = await server.query<{ Checksum: number | string | null }[]>(
      `CHECKSUM TABLE ${mysql.escapeId(db)}.${mysql.escapeId(name)}`,
    );
    const checksum = row?.Checksum;
    result.push({ table: `${db}.${name}`, checksum: checksum === null || checksum === undefined ? null : String(checksum) });
  }
  return result.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}
