// Diagnostic: what --throttle auto's status query (src/backup/paced-copy.ts: the statement counter and
// InnoDB's page accesses, from information_schema.GLOBAL_STATUS; InnoDB fills its status variables for it)
// costs a loaded server. Windows of HB_WINDOW_MS (15 s) under sysbench oltp_write_only, 4 threads, with the
// query sent at each of HB_RATES per second (0,3,30: none, about the pacer's rate, ten times it), in turn
// for HB_ROUNDS (4). Per rate: each window's TPS and worst transaction, and the query's own latency.
// HB_SOCKET: a server already filled (bench/keep-server.ts). Usage: bun run bench/status-cost.ts
import { sysbenchRun } from "./lib/harness";
import { WORK_QUERY } from "../src/backup/paced-copy";
import { givenOrFilledServer } from "./lib/server";
import { tpsIn, worstIn } from "./lib/window";
import { createConnection } from "mysql2/promise";

const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const rates = (process.env.HB_RATES ?? "0,3,30").split(",").map(Number);
const rounds = Number(process.env.HB_ROUNDS ?? 4);
const windowMs = Number(process.env.HB_WINDOW_MS ?? 15_000);

await using server = await givenOrFilledServer(size);
const conn = await createConnection({ socketPath: server.socket, user: "root" });
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, ...size, extraArgs: ["--percentile=100"] });
await Bun.sleep(5000);
const windows: { rate: number; from: number; to: number; queryMs: number[] }[] = [];
for (let r = 0; r < rounds; r++)
  for (const rate of r % 2 ? [...rates].reverse() : rates) {
    const from = Date.now();
    const queryMs: number[] = [];
    while (Date.now() - from < windowMs) {
      if (!rate) {
        await Bun.sleep(200);
        continue;
      }
      const t = performance.now();
      await conn.query(WORK_QUERY);
      queryMs.push(performance.now() - t);
      await Bun.sleep(1000 / rate);
    }
    windows.push({ rate, from, to: Date.now(), queryMs });
  }
const { samples } = await load.stop();
await conn.end();
for (const rate of rates) {
  const ws = windows.filter((w) => w.rate === rate);
  const ms = ws.flatMap((w) => w.queryMs).sort((a, b) => a - b);
  const query = ms.length ? ` | query median ${ms[ms.length >> 1]!.toFixed(2)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(1)}, max ${ms.at(-1)!.toFixed(0)}` : "";
  console.log(`${rate}/s: TPS ${ws.map((w) => tpsIn(samples, w.from, w.to).toFixed(0)).join(" ")}; worst ${ws.map((w) => worstIn(samples, w.from, w.to).toFixed(0)).join(" ")} ms${query}`);
}
