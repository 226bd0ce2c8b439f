// Diagnostic: does the shim's refusal of native AIO (docs/capture.md, "What the shim refuses") change how
// often a loaded server stalls? One filled datadir, copied fresh for every run, started with the shim
// (InnoDB falls back to its synchronous I/O threads) and without it (io_uring), alternating, each under
// sysbench oltp_write_only (4 threads) for HB_SECONDS (360). Per run: TPS after the first minute, and every
// second whose slowest transaction took over 1 s. HB_RUNS (2) runs of each.
// Usage: bun run bench/aio-stalls.ts
import { join } from "node:path";
import { run, sysbenchRun, tempDir } from "./lib/harness";
import { filledServer, startBenchServer } from "./lib/server";

const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const seconds = Number(process.env.HB_SECONDS ?? 360);
const runs = Number(process.env.HB_RUNS ?? 2);
const WARM_S = 60;

await using work = tempDir("aio-stalls");
const source = join(work.path, "filled");
{
  await using filled = await filledServer(size);
  await filled.stop();
  await run(["cp", "-a", filled.datadir, source]);
}
for (let i = 0; i < runs; i++)
  for (const shim of [true, false]) {
    const datadir = join(work.path, `run-${i}-${shim ? "shim" : "native"}`);
    await run(["cp", "-a", source, datadir]);
    await using server = await startBenchServer({ datadir, shim });
    const res = await sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds, ...size, extraArgs: ["--percentile=100"] }).result();
    const after = res.samples.filter((s) => s.second > WARM_S);
    const tps = after.reduce((a, s) => a + s.tps, 0) / after.length;
    const stalls = after.filter((s) => s.latencyP99Ms > 1000).map((s) => `${s.latencyP99Ms.toFixed(0)} ms at ${s.second} s`);
    const errorLog = await Bun.file(server.errorLog).text();
    const aio = /native AIO failed/.test(errorLog) ? "synchronous I/O threads" : /Using io_uring/.test(errorLog) ? "io_uring" : /Using Linux native AIO/.test(errorLog) ? "libaio" : "?";
    console.log(`${shim ? "shim   " : "no shim"} (${aio}): ${tps.toFixed(0)} TPS over ${after.length} s; seconds with a transaction over 1 s: ${stalls.length}${stalls.length ? ` (${stalls.join(", ")})` : ""}`);
    await run(["rm", "-rf", datadir]);
  }
