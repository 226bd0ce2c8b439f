// Diagnostic: where in a backup the server's TPS goes. One sysbench load runs across the whole run; no-backup
// windows (20 s) alternate with backups whose steps hb logs with HB_DEBUG=epoch. Each backup is cut into
// its phases: the paced copy (capture began → the redo log's copy starts), the hot files at full speed
// (→ copied), the lock and the end (→ synced); each phase's TPS is against the no-backup windows around it.
// Also, per backup, the statement rate the pacer saw in its cycles, copying and held, against the no-backup
// windows' (does a hold see the server as it runs without a backup?), and the server's InnoDB counters in
// each window (bench/lib/innodb-status.ts).
// HB_BACKUPS (4); HB_VARIANTS="A;B": hb flags and NAME=value settings of its environment, "" for defaults;
// a token DEST=DIR puts that variant's backups in DIR (deleted after each), e.g. a tmpfs: no disk writes.
// HB_SOCKET: a server already filled (bench/keep-server.ts). Usage: bun run bench/phase-tps.ts
import { rmSync } from "node:fs";
import { join } from "node:path";
import { HB, run, sysbenchRun, tempDir } from "./lib/harness";
import { sampleStatus } from "./lib/innodb-status";
import { givenOrFilledServer } from "./lib/server";
import { baselineAround, tpsIn, worstIn } from "./lib/window";

const backups = Number(process.env.HB_BACKUPS ?? 4);
const variants = (process.env.HB_VARIANTS ?? "").split(";");
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const noneMs = 20_000;
const gapMs = 3_000;

await using work = tempDir("phase-tps");
await using server = await givenOrFilledServer(size);
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows, extraArgs: ["--percentile=100"] });
const status = sampleStatus(server.socket);
await Bun.sleep(10_000);

type Span = { from: number; to: number };
const nones: Span[] = [];
const none = async () => {
  const from = Date.now();
  await Bun.sleep(noneMs);
  nones.push({ from, to: Date.now() });
  await Bun.sleep(gapMs);
};
const isEnv = (t: string) => /^[A-Z_]+=/.test(t);
type Cycle = { copying: number; held: number }; // statements a second, as the pacer logs them
const backupsDone: { variant: string; steps: Record<"began" | "hot" | "copied" | "synced", number>; cycles: Cycle[] }[] = [];
const cycleOf = (line: string): Cycle[] => {
  const m = /throttle auto: (\d+) statements\/s .* copying at .*, (\d+) statements\/s .* held;/.exec(line);
  return m ? [{ copying: Number(m[1]), held: Number(m[2]) }] : [];
};
for (let i = 0; i < backups; i++)
  for (const variant of variants) {
    await none();
    const tokens = variant.split(" ").filter(Boolean);
    const env: Record<string, string> = { HB_DEBUG: "epoch" };
    for (const t of tokens.filter(isEnv)) env[t.slice(0, t.indexOf("="))] = t.slice(t.indexOf("=") + 1);
    const destDir = tokens.find((t) => t.startsWith("DEST="))?.slice("DEST=".length) ?? work.path;
    const dest = join(destDir, `hb-phase-tps-${process.pid}-${backupsDone.length}`);
    const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", ...tokens.filter((t) => !isEnv(t)), dest], { env, timeoutMs: 600_000 });
    const lines = `${r.stdout}\n${r.stderr}`.split("\n");
    const at = (step: RegExp) => Number(lines.find((l) => step.test(l))?.match(/@(\d+)/)?.[1] ?? Number.NaN);
    const steps = { began: at(/ capture began @/), hot: at(/ copying last: .*ib_logfile0 @/), copied: at(/ copied @/), synced: at(/ synced @/) };
    backupsDone.push({ variant, steps, cycles: lines.flatMap(cycleOf) });
    if (destDir !== work.path) rmSync(dest, { recursive: true, force: true });
    await Bun.sleep(gapMs);
  }
await none();
const { samples } = await load.stop();
await status.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

for (const { variant, steps: s } of backupsDone) {
  const base = baselineAround(samples, nones, { from: s.began, to: s.synced });
  const phase = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s ${(tpsIn(samples, from, to) / base).toFixed(2)}× worst ${worstIn(samples, from, to).toFixed(0)} ms`;
  console.log(`${variant || "defaults"}: whole ${phase(s.began, s.synced)} | paced ${phase(s.began, s.hot)} | hot files ${phase(s.hot, s.copied)} | end ${phase(s.copied, s.synced)}`);
}
for (const { variant, steps: s, cycles } of backupsDone) {
  const around = [nones.findLast((n) => n.to <= s.began), nones.find((n) => n.from >= s.synced)].map((n) => n && status.over(n.from, n.to)?.statementsPerSec);
  const base = around.every((x) => x !== undefined) ? (around[0]! + around[1]!) / 2 : Number.NaN;
  const [copying, held] = [median(cycles.map((c) => c.copying)), median(cycles.map((c) => c.held))];
  console.log(
    `${variant || "defaults"}: ${cycles.length} pacer cycles, statements a second (median) copying ${copying} (${(copying / base).toFixed(3)}× of the no-backup windows around), ` +
      `held ${held} (${(held / base).toFixed(3)}×); copying/held per cycle ${median(cycles.map((c) => c.copying / c.held)).toFixed(3)}`,
  );
  console.log(`  server in its paced copy: ${status.over(s.began, s.hot)?.line ?? "too short"}`);
}
for (const n of nones) {
  console.log(`none: tps ${tpsIn(samples, n.from, n.to).toFixed(0)} worst ${worstIn(samples, n.from, n.to).toFixed(0)} ms`);
  console.log(`  server: ${status.over(n.from, n.to)?.line ?? "too short"}`);
}
