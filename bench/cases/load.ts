// Cases 2 and 3: the server under sysbench oltp_write_only (4 threads) across the whole backup, for no
// backup, hb and mariabackup, alternating. Inside each backup's window: the load's TPS and worst
// transaction (sysbench, per second), a commit probe's p99 and max, and the backup lock seen from the
// server; and sysbench's seconds from 5 s before each window to 2 s after it, for the timeline picture.
// "none" uses the window length of the last hb run. Between windows everything is synced and the server
// rests 5 s. The backups are kept for case 4.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { sysbenchRun, type Server } from "../lib/harness";
import { watchBackupLock, type LockWindow } from "../lib/lock-watch";
import { latencyIn, startProbe } from "../lib/probe";
import { summarize } from "../lib/stats";
import type { Second, TimelineSeries } from "../lib/timeline-svg";
import { hbBackup, mariabackupBackup, syncMs, type ToolRun } from "../lib/tools";
import { tpsIn, worstIn } from "../lib/window";

type LoadTool = "none" | "hb" | "hb-full" | "mariabackup";
/** "hb" runs hb's defaults (--throttle auto); "hb-full" copies as fast as it can (--throttle 0). */

export interface LoadRun {
  round: number;
  tool: LoadTool;
  windowMs: number;
  tps: number;
  sysbenchMaxMs: number;
  probeP99Ms: number;
  probeMaxMs: number;
  lock: LockWindow;
  reportedLockMs: number | null;
  journalBytes?: number;
  bytesLeftOut?: number;
  ringWaits?: number;
  peakRssMiB?: number | null; // under load hb's drain has read the ring's pages: they count in its RSS
  dest?: string;
  /** sysbench's reports as [t, TPS, slowest transaction ms], t counted from the window's start to the end of
   * each report's second (tuples: a run keeps a few hundred of them). */
  seconds: [number, number, number][];
}

const ORDER: LoadTool[] = ["hb", "none", "mariabackup", "hb-full"];
/** A window's own order in the round: each tool follows each other tool in turn, rather than hb always
 * following the heaviest ones (their writeback and the server's catching up fell into hb's window). */
const orderOf = (round: number) => ORDER.map((_, i) => ORDER[(i + round) % ORDER.length]!);

export async function loadCase(server: Server, work: string, rounds: number) {
  const runs: LoadRun[] = [];
  let lastWindow = 10_000;
  for (let round = 0; round < rounds; round++)
    for (const tool of orderOf(round)) {
      const dest = join(work, `load-${tool}-${round}`);
      const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, extraArgs: ["--percentile=100"] });
      const probe = await startProbe(server);
      const lock = await watchBackupLock(server);
      await Bun.sleep(5000); // warm: the window compares like with like
      const [d0, p0] = [Date.now(), performance.now()];
      let run: ToolRun | undefined;
      if (tool === "hb") run = await hbBackup(server, dest);
      else if (tool === "hb-full") run = await hbBackup(server, dest, ["--throttle", "0"]);
      else if (tool === "mariabackup") run = await mariabackupBackup(server, dest);
      else await Bun.sleep(lastWindow);
      if (tool === "hb-full") rmSync(dest, { recursive: true, force: true });
      const [d1, p1] = [Date.now(), performance.now()];
      if (tool === "hb") lastWindow = d1 - d0;
      await Bun.sleep(2000);
      const lockWindow = await lock.stop();
      await probe.stop();
      const res = await load.stop();
      const latency = latencyIn(probe, p0, p1);
      // What a tool left in the page cache (mariabackup does not sync) is written out now, not in the
      // next tool's window; the server then gets the same rest before every window.
      await syncMs();
      await Bun.sleep(5000);
      runs.push({
        round,
        tool,
        windowMs: d1 - d0,
        tps: tpsIn(res.samples, d0, d1),
        sysbenchMaxMs: worstIn(res.samples, d0, d1),
        probeP99Ms: latency.p99Ms,
        probeMaxMs: latency.maxMs,
        lock: lockWindow,
        reportedLockMs: run?.reportedLockMs ?? null,
        journalBytes: run?.journalBytes,
        bytesLeftOut: run?.bytesLeftOut,
        ringWaits: run?.ringWaits,
        peakRssMiB: run?.peakRssMiB,
        dest: tool === "hb" || tool === "mariabackup" ? dest : undefined,
        seconds: res.samples.map((s) => [Math.round((s.at - d0) / 10) / 100, Math.round(s.tps), s.latencyP99Ms]),
      });
    }
  const of = (tool: LoadTool, pick: (r: LoadRun) => number | null) =>
    summarize(runs.filter((r) => r.tool === tool).map((r) => pick(r) ?? Number.NaN).filter((x) => !Number.isNaN(x)));
  // Ratios per round (same minute, same server state), then their median.
  const ratio = (tool: LoadTool, pick: (r: LoadRun) => number) =>
    summarize(
      Array.from({ length: rounds }, (_, round) => {
        const a = runs.find((r) => r.round === round && r.tool === tool)!;
        const b = runs.find((r) => r.round === round && r.tool === "none")!;
        return pick(a) / pick(b);
      }),
    );
  const tools = ["none", "hb", "hb-full", "mariabackup"] as const;
  return {
    runs,
    window: Object.fromEntries(tools.map((t) => [t, of(t, (r) => r.windowMs)])),
    tps: Object.fromEntries(tools.map((t) => [t, of(t, (r) => r.tps)])),
    sysbenchMaxMs: Object.fromEntries(tools.map((t) => [t, of(t, (r) => r.sysbenchMaxMs)])),
    probeP99Ms: Object.fromEntries(tools.map((t) => [t, of(t, (r) => r.probeP99Ms)])),
    probeMaxMs: Object.fromEntries(tools.map((t) => [t, of(t, (r) => r.probeMaxMs)])),
    tpsRatio: Object.fromEntries(tools.map((t) => [t, ratio(t, (r) => r.tps)])),
    maxLatencyRatio: Object.fromEntries(tools.map((t) => [t, ratio(t, (r) => r.sysbenchMaxMs)])),
    // The server freezes for seconds of its own, with no backup, in some windows and not others
    // (docs/benchmarks.md): one frozen baseline makes its round's ratio say nothing. The typical window's
    // worst against the typical window's worst is the steadier comparison.
    maxLatencyOfMedians: Object.fromEntries(
      tools.map((t) => [t, of(t, (r) => r.sysbenchMaxMs).median / of("none", (r) => r.sysbenchMaxMs).median]),
    ),
    lockBlockDdlMs: { hb: of("hb", (r) => r.lock.blockDdlMs), mariabackup: of("mariabackup", (r) => r.lock.blockDdlMs) },
    lockBlockCommitMs: { hb: of("hb", (r) => r.lock.blockCommitMs), mariabackup: of("mariabackup", (r) => r.lock.blockCommitMs) },
    hbReportedLockMs: of("hb", (r) => r.reportedLockMs),
    hbPeakRssMiB: of("hb", (r) => r.peakRssMiB ?? null),
  };
}

const LABELS = { none: "no backup", hb: "hb (defaults)", mariabackup: "mariabackup" } as const;

/** The picture's round: the one whose hb TPS ratio is the median of the rounds (a typical round, not the best). */
export function timelineRound(runs: LoadRun[]): { round: number; series: TimelineSeries[] } {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const ratio = (round: number) => runs.find((r) => r.round === round && r.tool === "hb")!.tps / runs.find((r) => r.round === round && r.tool === "none")!.tps;
  const round = rounds.sort((a, b) => ratio(a) - ratio(b))[Math.floor((rounds.length - 1) / 2)]!;
  const series = (["none", "hb", "mariabackup"] as const).map((tool) => {
    const r = runs.find((x) => x.round === round && x.tool === tool)!;
    const seconds = r.seconds.map(([t, tps, worstMs]): Second => ({ t, tps, worstMs }));
    return { label: LABELS[tool], seconds, endS: tool === "none" ? null : r.windowMs / 1000 };
  });
  return { round, series };
}
