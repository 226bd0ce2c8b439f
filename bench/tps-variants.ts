// Diagnostic: where does the server's TPS go during a backup? Runs hb variants (argv: comma-separated lists
// of hb flags, "none" for no backup) alternating, round by round, on one loaded server, and prints each
// variant's TPS inside its window relative to the "none" run of the same round.
// Usage: bun run bench/tps-variants.ts "none" "" "--throttle 20M" "--include mysql/*"
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../test/helpers/harness";
import { sysbenchRun } from "../test/helpers/load";
import type { Server } from "../test/helpers/mariadb";
import { filledServer } from "./lib/server";
import { hbBackup } from "./lib/tools";
import { tpsIn, worstIn } from "./lib/window";

const variants = process.argv.slice(2);
const rounds = Number(process.env.HB_BENCH_ROUNDS ?? 3);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 100_000) };
const noneMs = Number(process.env.HB_NONE_MS ?? 15_000);

await using work = tempDir("tps-variants");
// HB_SOCKET: a server already filled (bench/keep-server.ts) instead of a new one.
const given = process.env.HB_SOCKET;
await using server = given ? ({ socket: given, [Symbol.asyncDispose]: async () => {} } as unknown as Server) : await filledServer(size);
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  let base = Number.NaN;
  for (const v of variants) {
    const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows, extraArgs: ["--percentile=100"] });
    await Bun.sleep(5000);
    const d0 = Date.now();
    const dest = join(work.path, `d${round}-${variants.indexOf(v)}`);
    let extra = "";
    if (v === "none") await Bun.sleep(noneMs);
    else {
      const r = await hbBackup(server, dest, v.split(" ").filter(Boolean));
      extra = ` hb cpu ${r.cpuSec?.toFixed(1)}s journal ${((r.journalBytes ?? 0) / 2 ** 20).toFixed(0)}MiB`;
    }
    const d1 = Date.now();
    await Bun.sleep(1000);
    const res = await load.stop();
    rmSync(dest, { recursive: true, force: true });
    const tps = tpsIn(res.samples, d0, d1);
    if (v === "none") base = tps;
    line.push(`${v || "hb"}: ${(d1 - d0) / 1000}s tps ${tps.toFixed(0)} (${(tps / base).toFixed(2)}×) worst ${worstIn(res.samples, d0, d1).toFixed(0)}ms${extra}`);
  }
  console.log(`round ${round}: ${line.join(" | ")}`);
}
