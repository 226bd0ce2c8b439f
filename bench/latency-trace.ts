// Diagnostic: per-second TPS and max commit latency of sysbench oltp_write_only around one backup, with the
// backup's start and end marked, to see *when* in a backup the server's worst commits happen.
// Usage: bun run bench/latency-trace.ts [hb|mariabackup|none] [extra hb args...]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../test/helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../test/helpers/load";
import { startMariaDB } from "../test/helpers/mariadb";
import { startProbe } from "./lib/probe";

const tool = process.argv[2] ?? "hb";
const extra = process.argv.slice(3);
const TABLES = Number(process.env.HB_BENCH_TABLES ?? 8);
const ROWS = Number(process.env.HB_BENCH_ROWS ?? 100_000);

await using server = await startMariaDB({ binlog: true });
await sysbenchPrepare(server, { tables: TABLES, rows: ROWS });
console.error(`server pid ${server.pid}`);
await run(["sync"]);
await Bun.sleep(3000);
await using tmp = tempDir("bench-trace");
const dest = join(process.env.HB_TRACE_DEST || tmp.path, `dest-${process.pid}`);
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds: 0, extraArgs: ["--percentile=100"] });
await Bun.sleep(5000);
const probe = await startProbe(server);
await Bun.sleep(1000);
const t0 = Date.now();
const p0 = performance.now();
console.error(`backup starts at ${new Date(t0).toISOString()}`);
if (tool === "hb") {
  const b = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", ...extra, dest], { timeoutMs: 600_000, env: { HB_DEBUG: "epoch" } });
  console.error(b.stderr);
} else if (tool === "mariabackup") {
  mkdirSync(dest);
  await run(["mariabackup", "--backup", `--target-dir=${dest}`, `--socket=${server.socket}`, "--user=root"], { timeoutMs: 600_000 });
} else await Bun.sleep(20_000);
const t1 = Date.now();
await Bun.sleep(Number(process.env.HB_TRACE_AFTER ?? 4000));
const res = await load.stop();
await probe.stop();
for (const [a, ms] of probe.commits) if (ms > 40) console.log(`probe commit at @${Math.round(a - p0 + t0)} took ${Math.round(ms)} ms`);
for (const s of res.samples) {
  const mark = s.at - 1000 >= t0 - 500 && s.at <= t1 + 500 ? "*" : " ";
  console.log(`${mark} ${String(s.second).padStart(3)}s tps ${s.tps.toFixed(0).padStart(5)} max ${s.latencyP99Ms.toFixed(1).padStart(7)} ms`);
}
const inWindow = res.samples.filter((s) => s.at - 1000 >= t0 - 500 && s.at <= t1 + 500);
const outside = res.samples.filter((s) => !inWindow.includes(s) && s.second > 2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(`backup ${t1 - t0} ms; TPS during ${mean(inWindow.map((s) => s.tps)).toFixed(0)} vs outside ${mean(outside.map((s) => s.tps)).toFixed(0)}; max during ${Math.max(...inWindow.map((s) => s.latencyP99Ms))} outside ${Math.max(...outside.map((s) => s.latencyP99Ms))}`);
