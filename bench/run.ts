// npm run bench: hb against mariabackup and cp on one sysbench dataset, every case alternating the tools
// round by round, printed as Markdown with medians (min–max) and the targets, and saved to
// bench/results/full.{json,md} (with HB_BENCH_ONLY: bench/results/<its cases joined by +>.{json,md}). The load
// case also draws docs/bench-timeline.svg (bench/timeline.ts). Not part of the tests: these numbers are for reading, not asserting.
//   HB_BENCH_TABLES (8) × HB_BENCH_ROWS (500000): the dataset, ~1 GB at the defaults
//   HB_BENCH_ROUNDS (3): rounds per case; HB_BENCH_RSS_SCALE (4, 0 = skip): the larger dataset for RSS
//   HB_BENCH_ONLY: comma-separated cases to run (idle,load,prepare,shim,rss,pwrite,throttle,rawcopy)
//   HB_BENCH_NOTE: a line kept with the results, e.g. what else ran on the machine
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { idleCase } from "./cases/idle";
import { loadCase } from "./cases/load";
import { prepareCase } from "./cases/prepare";
import { rssAtScale } from "./cases/rss";
import { shimIdleCase } from "./cases/shim-idle";
import { run, tempDir } from "./lib/harness";
import { filledServer } from "./lib/server";
import { cell } from "./lib/stats";
import { rawCopy, throttleAccuracy } from "./raw-copy";
import { shimOverhead } from "./shim-overhead";
import { type SavedRun, writeTimeline } from "./timeline";

const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const rounds = Number(process.env.HB_BENCH_ROUNDS ?? 3);
const rssScale = Number(process.env.HB_BENCH_RSS_SCALE ?? 4);
const only = process.env.HB_BENCH_ONLY?.split(",");
const wanted = (name: string) => !only || only.includes(name);

const resultsDir = join(import.meta.dir, "results");
mkdirSync(resultsDir, { recursive: true });
const resultName = only ? only.join("+") : "full";
const commit = (await run(["git", "-C", import.meta.dir, "describe", "--always", "--dirty"])).stdout.trim();
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  commit,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  dataset: `sysbench ${size.tables} tables × ${size.rows} rows`,
  rounds,
  ...(process.env.HB_BENCH_NOTE ? { note: process.env.HB_BENCH_NOTE } : {}),
};
const md: string[] = [`# hb benchmark, ${results.date}, ${commit}`, "", `${results.machine}; ${results.dataset}; ${rounds} rounds per case, medians (min–max).`, ...(results.note ? ["", `**Note:** ${results.note}`] : []), ""];
const out = (line = "") => {
  console.log(line);
  md.push(line);
};
const save = () => {
  // Arrays of numbers (the load case's seconds) one to a line, not one number to a line.
  const json = JSON.stringify(results, null, 2).replace(/\[\s+([-\d.e,\s]+?)\s+\]/g, (_, xs: string) => `[${xs.split(/,\s*/).join(", ")}]`);
  writeFileSync(join(resultsDir, `${resultName}.json`), `${json}\n`);
  writeFileSync(join(resultsDir, `${resultName}.md`), `${md.join("\n")}\n`);
};
const x = (r: number) => `${r.toFixed(2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");

await using work = tempDir("bench");
const datasetMs = performance.now();
const server = await filledServer(size);
results.fillMs = Math.round(performance.now() - datasetMs);
let hbDests: string[] = [];
let mbDests: string[] = [];

if (wanted("idle")) {
  const idle = await idleCase(server, work.path, rounds);
  results.idle = idle;
  out("## 1. Idle backup, cold cache, until on disk (ms)\n");
  out("| hb | mariabackup | cp -r | hb / mariabackup | hb throughput / cp |\n|---|---|---|---|---|");
  out(`| ${cell(idle.wallMs.hb)} | ${cell(idle.wallMs.mariabackup)} | ${cell(idle.wallMs.cp)} | ${x(idle.hbVsMariabackup)} | ${x(idle.hbThroughputVsCp)} |`);
  out(`\nTargets: hb ≤ 0.8× mariabackup: ${verdict(idle.hbVsMariabackup <= 0.8)}; throughput ≥ 0.9× cp: ${verdict(idle.hbThroughputVsCp >= 0.9)}\n`);
  save();
}

if (wanted("load")) {
  const load = await loadCase(server, work.path, rounds);
  results.load = load;
  hbDests = load.runs.filter((r) => r.tool === "hb").map((r) => r.dest!);
  mbDests = load.runs.filter((r) => r.tool === "mariabackup").map((r) => r.dest!);
  out("## 2. Under sysbench oltp_write_only, 4 threads, inside the backup window\n");
  out("| | window ms | TPS | TPS / none | worst txn ms (sysbench) | worst / none, per round | worst / none, medians | probe commit p99 ms | probe commit max ms |\n|---|---|---|---|---|---|---|---|---|");
  for (const t of ["none", "hb", "hb-full", "mariabackup"] as const) {
    const tr = x(load.tpsRatio[t]!.median);
    const lr = x(load.maxLatencyRatio[t]!.median);
    const lm = x(load.maxLatencyOfMedians[t]!);
    out(`| ${t === "hb" ? "hb (--throttle auto)" : t === "hb-full" ? "hb --throttle 0" : t} | ${cell(load.window[t]!)} | ${cell(load.tps[t]!)} | ${tr} | ${cell(load.sysbenchMaxMs[t]!, 1)} | ${lr} | ${lm} | ${cell(load.probeP99Ms[t]!, 1)} | ${cell(load.probeMaxMs[t]!, 1)} |`);
  }
  out(`\nTargets (hb's defaults): TPS ≥ 0.95× none: ${verdict(load.tpsRatio.hb!.median >= 0.95)}; worst latency ≤ 1.5× none: ${verdict(load.maxLatencyRatio.hb!.median <= 1.5)} per round, ${verdict(load.maxLatencyOfMedians.hb! <= 1.5)} of the medians\n`);
  out("## 3. Backup lock under that load, seen from the server (ms)\n");
  out("| | BLOCK_DDL→END | BLOCK_COMMIT→END (commits wait) | reported by the tool |\n|---|---|---|---|");
  out(`| hb | ${cell(load.lockBlockDdlMs.hb)} | ${cell(load.lockBlockCommitMs.hb)} | ${cell(load.hbReportedLockMs)} |`);
  out(`| mariabackup | ${cell(load.lockBlockDdlMs.mariabackup)} | ${cell(load.lockBlockCommitMs.mariabackup)} | — |`);
  out(`\nTarget: hb lock ≤ 50 ms median: ${verdict(load.hbReportedLockMs.median <= 50)}\n`);
  // The drain reads the ring's pages (shared with the server, --ring), so under load they count in hb's RSS.
  out(`hb's peak RSS in these backups (/usr/bin/time -v): ${cell(load.hbPeakRssMiB)} MiB (target ≤ 150 MB: ${verdict(load.hbPeakRssMiB.max * 1.048576 <= 150)})\n`);
  out("<details><summary>every run</summary>\n\n| round | tool | window ms | TPS | worst ms | probe p99 | probe max | BLOCK_DDL ms | BLOCK_COMMIT ms | journal MiB | writes read by the copy MiB | ring waits | peak RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  const mib = (b?: number) => (b === undefined ? "—" : (b / 2 ** 20).toFixed(0));
  for (const r of load.runs)
    out(`| ${r.round} | ${r.tool} | ${r.windowMs} | ${r.tps.toFixed(0)} | ${r.sysbenchMaxMs} | ${r.probeP99Ms.toFixed(1)} | ${r.probeMaxMs.toFixed(1)} | ${r.lock.blockDdlMs ?? "—"} | ${r.lock.blockCommitMs ?? "—"} | ${mib(r.journalBytes)} | ${mib(r.bytesLeftOut)} | ${r.ringWaits ?? "—"} | ${r.peakRssMiB ?? "—"} |`);
  out("\n</details>\n");
  const round = writeTimeline(results as unknown as SavedRun, `${resultName}.json`);
  out(`The load case's round ${round + 1}, second by second: docs/bench-timeline.svg\n`);
  save();
}

if (wanted("prepare") && hbDests.length && mbDests.length) {
  const prep = await prepareCase(hbDests, mbDests);
  results.prepare = prep;
  out("## 4. Prepare of the backups taken under load, cold cache (ms)\n");
  out("| hb --no-recover | hb --recover | mariabackup --prepare | hb --recover / mariabackup |\n|---|---|---|---|");
  out(`| ${cell(prep.ms.hbNoRecover)} | ${cell(prep.ms.hbRecover)} | ${cell(prep.ms.mariabackup)} | ${x(prep.hbRecoverVsMariabackup)} |`);
  out(`\nTarget: ≤ 0.5× mariabackup: ${verdict(prep.hbRecoverVsMariabackup <= 0.5)} (with recovery), ${verdict(prep.hbNoRecoverVsMariabackup <= 0.5)} (journal replay only)\n`);
  out("Redo each prepare applied (MiB) and the time per MiB of it (ms), with recovery:\n");
  out("| redo, hb | redo, mariabackup | hb --recover ms/MiB | mariabackup ms/MiB |\n|---|---|---|---|");
  out(`| ${cell(prep.redoMiB.hb)} | ${cell(prep.redoMiB.mariabackup)} | ${cell(prep.msPerRedoMiB.hbRecover, 1)} | ${cell(prep.msPerRedoMiB.mariabackup, 1)} |\n`);
  save();
}

const datadirCopy = join(work.path, "shim-datadir");
if (wanted("shim")) {
  await server.stop();
  Bun.spawnSync(["cp", "-a", server.datadir, datadirCopy]);
}
await server[Symbol.asyncDispose]();

if (wanted("shim")) {
  const shim = await shimIdleCase(datadirCopy, size, rounds);
  results.shimIdle = shim;
  out("## 5. The shim loaded and idle: sysbench TPS, server restarted between runs\n");
  out(`| no shim | shim idle | ratio |\n|---|---|---|\n| ${cell(shim.tps.none)} | ${cell(shim.tps.shim)} | ${cell(shim.ratio, 3)} |`);
  out(`\nTarget: ≥ 0.99×: ${verdict(shim.ratio.median >= 0.99)}\n`);
  save();
}

if (wanted("rss") && rssScale > 0) {
  const idle = results.idle as { hbPeakRssMiB: { median: number } } | undefined;
  const big = await rssAtScale(size, rssScale, work.path);
  results.rss = { x1MiB: idle?.hbPeakRssMiB.median ?? null, scaled: big };
  out("## 6. hb's peak RSS (/usr/bin/time -v)\n");
  out(`| 1× (${size.tables} tables) | ${rssScale}× (${big.tables} tables) |\n|---|---|\n| ${idle?.hbPeakRssMiB.median ?? "—"} MiB | ${big.peakRssMiB} MiB |`);
  out(`\nTarget: ≤ 150 MB, flat: ${verdict((big.peakRssMiB ?? 1e9) * 1.048576 <= 150)}\n`);
  save();
}

if (wanted("pwrite")) {
  const overhead = await shimOverhead();
  results.shimOverhead = overhead;
  out("## Shim cost per pwrite (cached pages)\n\n| size | shim | ns/call | × no shim |\n|---|---|---|---|");
  for (const r of overhead) out(`| ${r.size} | ${r.mode} | ${r.nsPerCall} | ${r.ratio} |`);
  out();
  save();
}

if (wanted("throttle")) {
  const throttle = [await throttleAccuracy(20), await throttleAccuracy(100)];
  results.throttle = throttle;
  out("## 7. Throttle accuracy\n\n| target MiB/s | achieved | error |\n|---|---|---|");
  for (const t of throttle) out(`| ${t.targetMiBps} | ${t.achievedMiBps} | ${(t.error * 100).toFixed(2)}% |`);
  out();
  save();
}

if (only?.includes("rawcopy")) {
  const copy = await rawCopy({ totalMiB: Number(process.env.HB_BENCH_MIB ?? 2048) });
  results.rawCopy = copy;
  out(`## Raw copy of ${copy.totalMiB} MiB (cold cache: ${copy.coldCache}), both followed by sync\n`);
  out(`| hb ms | cp -r ms | hb throughput / cp |\n|---|---|---|\n| ${copy.hbMs} | ${copy.cpMs} | ${x(copy.ratio)} |\n`);
  save();
}
