// Diagnostic: where does the server's TPS go during a backup? One sysbench load runs across the whole run;
// round by round, a no-backup window ("none") and then each hb variant (argv: hb flags, with NAME=value
// tokens passed as environment) take their turn, and a last no-backup window closes the run. Each variant's
// TPS inside its window is compared with the mean of the no-backup windows just before and after it: the
// server's rate drifts by itself (its checkpoint age, its buffer pool), and a baseline taken only before
// would charge that drift to the backup.
// Usage: bun run bench/tps-variants.ts "" "--throttle 20M" "HB_TEST_X=1 --parallel 2"
import { join } from "node:path";
import { sysbenchRun, tempDir } from "./lib/harness";
import { givenOrFilledServer } from "./lib/server";
import { hbBackup } from "./lib/tools";
import { baselineAround, tpsIn, worstIn } from "./lib/window";

const variants = process.argv.slice(2).filter((v) => v !== "none"); // the no-backup windows come by themselves
const rounds = Number(process.env.HB_BENCH_ROUNDS ?? 3);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 100_000) };
const noneMs = Number(process.env.HB_NONE_MS ?? 30_000);
const gapMs = 5_000; // between windows: the backup's last writes and its exit stay out of the next window

await using work = tempDir("tps-variants");
await using server = await givenOrFilledServer(size); // HB_SOCKET: one already filled (bench/keep-server.ts)
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows, extraArgs: ["--percentile=100"] });
await Bun.sleep(10_000);

type Window = { round: number; variant: string | null; from: number; to: number; extra: string };
const windows: Window[] = [];
const none = async (round: number) => {
  const from = Date.now();
  await Bun.sleep(noneMs);
  windows.push({ round, variant: null, from, to: Date.now(), extra: "" });
  await Bun.sleep(gapMs);
};
for (let round = 0; round < rounds; round++) {
  await none(round);
  for (const [i, v] of variants.entries()) {
    const tokens = v.split(" ").filter(Boolean);
    const isEnv = (t: string) => /^[A-Z_]+=/.test(t);
    const env = Object.fromEntries(tokens.filter(isEnv).map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
    const dest = join(work.path, `d${round}-${i}`);
    const from = Date.now();
    const r = await hbBackup(server, dest, tokens.filter((t) => !isEnv(t)), env);
    windows.push({ round, variant: v, from, to: Date.now(), extra: ` hb cpu ${r.cpuSec?.toFixed(1)}s journal ${((r.journalBytes ?? 0) / 2 ** 20).toFixed(0)}MiB` });
    await Bun.sleep(gapMs); // the backup stays until the end: deleting it now would discard blocks under the load
  }
}
await none(rounds);
const { samples } = await load.stop();

const nones = windows.filter((w) => w.variant === null);
for (const w of windows.filter((x) => x.variant !== null)) {
  const base = baselineAround(samples, nones, w);
  const tps = tpsIn(samples, w.from, w.to);
  console.log(
    `round ${w.round} ${w.variant || "hb"}: ${((w.to - w.from) / 1000).toFixed(1)}s tps ${tps.toFixed(0)} (${(tps / base).toFixed(2)}× of ${base.toFixed(0)}) worst ${worstIn(samples, w.from, w.to).toFixed(0)}ms${w.extra}`,
  );
}
for (const n of nones) console.log(`none ${n.round}: tps ${tpsIn(samples, n.from, n.to).toFixed(0)} worst ${worstIn(samples, n.from, n.to).toFixed(0)}ms`);
