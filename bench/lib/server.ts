// The benchmark's server: a throwaway MariaDB with the shim, sized like a small production server (a redo log
// that does not force checkpoints every few seconds, which would drown every latency figure in its own
// stalls), filled by sysbench, then left to settle so that the first case does not pay for the fill.
import { run, startMariaDB, sysbenchPrepare, type Server, type StartOptions, type SysbenchTables } from "./harness";

export const SERVER_ARGS = ["--innodb-buffer-pool-size=512M", "--innodb-log-file-size=512M", "--max-connections=200"];

export function startBenchServer(opts: StartOptions = {}): Promise<Server> {
  return startMariaDB({ binlog: true, ...opts, extraArgs: [...SERVER_ARGS, ...(opts.extraArgs ?? [])], timeoutMs: 180_000 });
}

/** HB_SOCKET: a server already filled (bench/keep-server.ts), left running at the end; else a new filled one.
 * The given one has a socket and nothing else. */
export async function givenOrFilledServer(size: SysbenchTables): Promise<Server> {
  const given = process.env.HB_SOCKET;
  return given ? ({ socket: given, [Symbol.asyncDispose]: async () => {} } as unknown as Server) : filledServer(size);
}

export async function filledServer(size: SysbenchTables, opts: StartOptions = {}): Promise<Server> {
  const server = await startBenchServer(opts);
  await sysbenchPrepare(server, size);
  await settle(server);
  return server;
}

/** Dirty pages and the fill's writeback out of the way. */
export async function settle(server: Server): Promise<void> {
  await server.query("SET GLOBAL innodb_max_dirty_pages_pct = 0");
  for (let i = 0; i < 60; i++) {
    const [row] = await server.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
    if (Number(row?.Value ?? 0) < 100) break;
    await Bun.sleep(1000);
  }
  await server.query("SET GLOBAL innodb_max_dirty_pages_pct = 90");
  await run(["sync"]);
  await Bun.sleep(2000);
}
