// Diagnostic: the first minutes of sysbench's write load on a server the bench just filled and settled, with
// no backup: every second whose slowest transaction took over 300 ms, and the checkpoint age as it climbs to
// its plateau. HB_RUNS (2) fresh servers, HB_SECONDS (180) each.
// Usage: bun run bench/first-minutes.ts
import { sysbenchRun } from "../test/helpers/load";
import { filledServer } from "./lib/server";

const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const seconds = Number(process.env.HB_SECONDS ?? 180);
const runs = Number(process.env.HB_RUNS ?? 2);
const MiB = 2 ** 20;

for (let i = 0; i < runs; i++) {
  await using server = await filledServer(size);
  const ages: string[] = [];
  const started = Date.now();
  let on = true;
  const sampler = (async () => {
    for (let s = 0; on; s += 10, await Bun.sleep(10_000)) {
      const [row] = await server.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_checkpoint_age'");
      ages.push(`${Math.round((Date.now() - started) / 1000)}s:${Math.round(Number(row?.Value ?? 0) / MiB)}`);
    }
  })();
  const res = await sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds, extraArgs: ["--percentile=100"] }).result();
  on = false;
  await sampler;
  const slow = res.samples.filter((s) => s.latencyP99Ms > 300).map((s) => `${s.latencyP99Ms.toFixed(0)} ms at ${s.second} s`);
  const tps = (from: number, to: number) => {
    const w = res.samples.filter((s) => s.second > from && s.second <= to);
    return Math.round(w.reduce((a, s) => a + s.tps, 0) / w.length);
  };
  console.log(`server ${i + 1}: TPS by minute ${tps(0, 60)}, ${tps(60, 120)}, ${tps(120, 180)}; seconds over 300 ms: ${slow.length ? slow.join(", ") : "none"}`);
  console.log(`  checkpoint age (MiB): ${ages.join(" ")}`);
}
