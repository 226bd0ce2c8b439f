// The tools under test, run the same way: wall time, hb's peak RSS (/usr/bin/time -v), and what each says
// about its own lock. mariabackup is run as people run it (`mariabackup --backup`, its defaults).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HB, run, type Server } from "./harness";

export interface ToolRun {
  wallMs: number;
  /** What the tool reports as its lock time (hb: BLOCK_DDL→END, ms; mariabackup: none with ms precision). */
  reportedLockMs: number | null;
  peakRssMiB: number | null;
  cpuSec?: number; // user + system
  journalBytes?: number;
  bytesLeftOut?: number; // writes the copy read, so not journaled
  ringWaits?: number; // server writes that waited for room in the ring
  autoThrottle?: { cycles: number; holds: number; lastRate: number };
}

const cpuSec = (report: string) => {
  const t = (what: string) => Number(new RegExp(`${what} time \\(seconds\\): ([\\d.]+)`).exec(report)?.[1] ?? Number.NaN);
  return t("User") + t("System");
};

const maxRssMiB = (stderr: string) => {
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : null;
};

// time -v writes its report to a file: on stderr it would share the harness's non-blocking pipe, where a
// full pipe makes time itself fail (EAGAIN) after the tool succeeded.
async function timed(cmd: string[], what: string, env?: Record<string, string>): Promise<{ ms: number; stdout: string; stderr: string; report: string }> {
  const reportFile = join(tmpdir(), `hb-bench-time-${process.pid}.txt`);
  const t = performance.now();
  const r = await run(["/usr/bin/time", "-v", "-o", reportFile, ...cmd], { timeoutMs: 3_600_000, env });
  const ms = performance.now() - t;
  const report = readFileSync(reportFile, "utf8");
  rmSync(reportFile, { force: true });
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return { ms, stdout: r.stdout, stderr: r.stderr, report };
}

/** env: HB_* variables for hb (the harness passes none of the caller's). */
export async function hbBackup(server: Server, dest: string, extra: string[] = [], env?: Record<string, string>): Promise<ToolRun> {
  const r = await timed([HB, "backup", "--json", "--quiet", "--socket", server.socket, "--user", "root", "--no-space-check", ...extra, dest], "hb backup", env);
  const out = JSON.parse(r.stdout);
  return { wallMs: r.ms, reportedLockMs: out.lockTimeMs, peakRssMiB: maxRssMiB(r.report), cpuSec: cpuSec(r.report), journalBytes: out.journalBytes, bytesLeftOut: out.bytesLeftOut, ringWaits: out.ringWaits, autoThrottle: out.autoThrottle };
}

export async function mariabackupBackup(server: Server, dest: string): Promise<ToolRun> {
  mkdirSync(dest, { recursive: true });
  const r = await timed(["mariabackup", "--backup", `--target-dir=${dest}`, `--socket=${server.socket}`, "--user=root"], "mariabackup --backup");
  return { wallMs: r.ms, reportedLockMs: null, peakRssMiB: maxRssMiB(r.report), cpuSec: cpuSec(r.report) };
}

/** cp -r of the server's files as they are (not a usable backup: the floor for copying these bytes). */
export async function cpCopy(server: Server, dest: string): Promise<ToolRun> {
  const r = await timed(["cp", "-r", server.datadir, dest], "cp -r");
  return { wallMs: r.ms, reportedLockMs: null, peakRssMiB: null };
}

export async function hbPrepare(dest: string, recover: boolean): Promise<number> {
  return (await timed([HB, "prepare", "--quiet", recover ? "--recover" : "--no-recover", dest], "hb prepare")).ms;
}

export async function mariabackupPrepare(dest: string): Promise<number> {
  return (await timed(["mariabackup", "--prepare", `--target-dir=${dest}`], "mariabackup --prepare")).ms;
}

/** Every backup is timed to the point where it is on disk: hb syncs; the others get a `sync` after them. */
export async function syncMs(): Promise<number> {
  const t = performance.now();
  await run(["sync"]);
  return performance.now() - t;
}
