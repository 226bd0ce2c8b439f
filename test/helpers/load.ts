// Write load for tests and measurements: Debian's sysbench for InnoDB, and a small paced generator for
// Aria/MyISAM, which sysbench cannot drive.
import type { Connection } from "mysql2/promise";
import { run, spawnBg } from "./harness";
import type { Server } from "./mariadb";

export interface SysbenchTables {
  tables: number;
  rows: number;
}

// sysbench's run must use the --tables/--table-size of its prepare (ids are drawn from 1..rows).
const prepared = new WeakMap<Server, SysbenchTables>();

function connection(server: Server, { tables, rows }: SysbenchTables): string[] {
  return [
    "--db-driver=mysql",
    `--mysql-socket=${server.socket}`,
    "--mysql-user=root",
    "--mysql-db=sbtest",
    `--tables=${tables}`,
    `--table-size=${rows}`,
  ];
}

/** Creates database sbtest and `tables` tables sbtest1.. of `rows` rows, in parallel (one thread per table). */
export async function sysbenchPrepare(server: Server, size: SysbenchTables): Promise<void> {
  await server.query("CREATE DATABASE IF NOT EXISTS sbtest");
  const cmd = ["sysbench", "oltp_common", ...connection(server, size), `--threads=${Math.min(size.tables, 8)}`, "prepare"];
  const { code, stdout, stderr } = await run(cmd, { timeoutMs: 600_000 });
  if (code !== 0) throw new Error(`sysbench prepare failed (${code}):\n${stdout}\n${stderr}`);
  prepared.set(server, size);
}

export interface SysbenchRunOptions {
  test: "oltp_write_only" | "oltp_read_write";
  threads: number;
  /** 0 or absent: until stop(). */
  seconds?: number;
  /** Transactions per second over all threads; absent: as fast as possible. */
  rate?: number;
  /** Defaults to what sysbenchPrepare made on this server. */
  tables?: number;
  rows?: number;
  extraArgs?: string[];
}

/** One `--report-interval=1` line: the second ending at `at` (Date.now() when the line arrived). */
export interface SysbenchSample {
  second: number;
  at: number;
  threads: number;
  tps: number;
  qps: number;
  latencyP99Ms: number;
  errorsPerSec: number;
  reconnectsPerSec: number;
}

export interface SysbenchResult {
  /** From sysbench's summary when it ran to its end; else the mean of the per-second samples. */
  tps: number;
  transactions: number;
  /** Errors sysbench ignored and retried (deadlock, lock wait timeout); any other error makes result() throw. */
  errors: number;
  /** null when stopped before the summary (sysbench prints none when interrupted). */
  latencyMaxMs: number | null;
  latencyAvgMs: number | null;
  latencyP99Ms: number | null;
  /** Ran to its --time and printed its summary (false after stop()). */
  complete: boolean;
  samples: SysbenchSample[];
  output: string;
}

export interface SysbenchHandle {
  /** Grows while it runs. */
  samples: SysbenchSample[];
  /** Interrupts it (sysbench has no graceful stop) and returns what the samples tell. */
  stop(): Promise<SysbenchResult>;
  /** Waits for it to end. */
  result(): Promise<SysbenchResult>;
}

// [ 1s ] thds: 4 tps: 3704.37 qps: 22230.22 (r/w/o: 0.00/14818.48/7411.74) lat (ms,99%): 3.13 err/s: 0.00 reconn/s: 0.00
const SAMPLE =
  /^\[ (\d+)s \] thds: (\d+) tps: ([\d.]+) qps: ([\d.]+) \(r\/w\/o: [\d./]+\) lat \(ms,\d+%\): ([\d.]+) err\/s: ([\d.]+) reconn\/s: ([\d.]+)/;

function parseSample(line: string, at: number): SysbenchSample | undefined {
  const m = SAMPLE.exec(line);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i]);
  return { second: n(1), at, threads: n(2), tps: n(3), qps: n(4), latencyP99Ms: n(5), errorsPerSec: n(6), reconnectsPerSec: n(7) };
}

function summaryNumber(output: string, label: RegExp): number | null {
  const m = label.exec(output);
  return m ? Number(m[1]) : null;
}

function parseResult(output: string, samples: SysbenchSample[]): SysbenchResult {
  const transactions = /^\s+transactions:\s+(\d+)\s+\(([\d.]+) per sec\.\)/m.exec(output);
  const complete = transactions !== null;
  const meanTps = samples.length ? samples.reduce((sum, s) => sum + s.tps, 0) / samples.length : 0;
  const sampledErrors = Math.round(samples.reduce((sum, s) => sum + s.errorsPerSec, 0));
  return {
    tps: transactions ? Number(transactions[2]) : meanTps,
    transactions: transactions ? Number(transactions[1]) : Math.round(meanTps * samples.length),
    errors: summaryNumber(output, /^\s+ignored errors:\s+(\d+)/m) ?? sampledErrors,
    latencyMaxMs: summaryNumber(output, /^\s+max:\s+([\d.]+)/m),
    latencyAvgMs: summaryNumber(output, /^\s+avg:\s+([\d.]+)/m),
    latencyP99Ms: summaryNumber(output, /^\s+99th percentile:\s+([\d.]+)/m),
    complete,
    samples,
    output,
  };
}

export function sysbenchRun(server: Server, opts: SysbenchRunOptions): SysbenchHandle {
  const size = {
    tables: opts.tables ?? prepared.get(server)?.tables ?? 1,
    rows: opts.rows ?? prepared.get(server)?.rows ?? 10_000,
  };
  const cmd = [
    "sysbench",
    opts.test,
    ...connection(server, size),
    `--threads=${opts.threads}`,
    `--time=${opts.seconds ?? 0}`,
    "--report-interval=1",
    ...(opts.extraArgs?.some((a) => a.startsWith("--percentile")) ? [] : ["--percentile=99"]),
    ...(opts.rate ? [`--rate=${opts.rate}`] : []),
    ...(opts.extraArgs ?? []),
    "run",
  ];
  // sysbench flushes each report line, so arrival time is the end of that second.
  const proc = spawnBg(cmd, { stdout: "pipe", stderr: "pipe" });
  const samples: SysbenchSample[] = [];
  let stopped = false;
  const stdout = (async () => {
    let text = "";
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      const piece = decoder.decode(chunk, { stream: true });
      text += piece;
      const lines = (partial + piece).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const sample = parseSample(line, Date.now());
        if (sample) samples.push(sample);
      }
    }
    return text;
  })();
  const stderr = new Response(proc.stderr as ReadableStream<Uint8Array>).text();
  const done = (async () => {
    const [output, errors, code] = await Promise.all([stdout, stderr, proc.exited]);
    if (!stopped && code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${output}\n${errors}`);
    // FATAL lines (an error not in --mysql-ignore-errors) can precede the kill of an interrupted run.
    if (/FATAL/.test(output + errors)) throw new Error(`sysbench reported a fatal error:\n${output}\n${errors}`);
    return parseResult(output, samples);
  })();
  done.catch(() => {}); // observed through result()/stop(); no unhandled rejection meanwhile
  return {
    samples,
    result: () => done,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        stopped = true;
        proc.kill("SIGINT");
      }
      return done;
    },
  };
}

/** Mean TPS of the samples whose second ended within [fromMs, toMs] (Date.now() clock). */
export function tpsBetween(samples: SysbenchSample[], fromMs: number, toMs: number): number {
  const inside = samples.filter((s) => s.at - 1000 >= fromMs - 100 && s.at <= toMs);
  return inside.length ? inside.reduce((sum, s) => sum + s.tps, 0) / inside.length : 0;
}

export interface WriteLoopOptions {
  engine: "Aria" | "MyISAM";
  /** `db.t` or `t` (in database hbload); created if missing. */
  table: string;
  /** Statements per second; 0: as fast as possible. */
  ratePerSec: number;
}

export interface WriteLoopHandle {
  /** Statements so far. */
  readonly count: number;
  /** Ends the loop after the statement in flight; the count, or the error that ended it early. */
  stop(): Promise<number>;
}

/** Inserts new rows and updates random old ones, alternately, at a steady pace, on a connection of its own. */
export async function writeLoop(server: Server, opts: WriteLoopOptions): Promise<WriteLoopHandle> {
  const [db, name] = opts.table.includes(".") ? opts.table.split(".", 2) : ["hbload", opts.table];
  const conn: Connection = await server.connect();
  const table = `${conn.escapeId(db as string)}.${conn.escapeId(name as string)}`;
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${conn.escapeId(db as string)}`);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id INT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(100) NOT NULL) ENGINE=${opts.engine}`,
  );
  const [[row]] = (await conn.query(`SELECT COALESCE(MAX(id), 0) AS maxId FROM ${table}`)) as unknown as [[{ maxId: number }]];
  let maxId = row.maxId;
  let count = 0;
  let running = true;
  const start = performance.now();
  const loop = (async () => {
    try {
      while (running) {
        if (count % 2 === 0 || maxId === 0) {
          maxId += 1;
          await conn.query(`INSERT INTO ${table} VALUES (?, ?, REPEAT('x', ? % 100))`, [maxId, count, count]);
        } else {
          const id = 1 + Math.floor(Math.random() * maxId);
          await conn.query(`UPDATE ${table} SET v = v + 1, pad = REPEAT('y', ? % 100) WHERE id = ?`, [count, id]);
        }
        count += 1;
        // Pacing, not waiting on a condition: statement n is due at start + n/rate.
        if (opts.ratePerSec > 0) {
          const due = start + (count * 1000) / opts.ratePerSec;
          const wait = due - performance.now();
          if (wait > 0) await Bun.sleep(wait);
        }
      }
    } finally {
      conn.destroy();
    }
  })();
  loop.catch(() => {}); // observed through stop()
  return {
    get count() {
      return count;
    },
    async stop() {
      running = false;
      await loop;
      return count;
    },
  };
}
