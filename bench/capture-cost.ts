// Diagnostic: what the capture alone costs the server, with no copy at all. One sysbench load runs across the
// whole run; round by round, a no-capture window and then a capture window of each variant take turns, each
// compared with the mean of the no-capture windows just before and after it (as bench/tps-variants.ts).
// A capture window journals every write to the datadir's files except those a backup copies last (the redo
// log, ibdata1, the binlogs): the state of a backup's late copy, when nearly every data file is copied.
// Variants (argv; default "journal"):
//   journal       as above, the journal in the run's temporary directory (on the disk)
//   unread        every file registered as unread: the shim's path on every write, nothing journaled
//   dest=PATH     as journal, the journal in PATH (e.g. a tmpfs)
// Usage: bun run bench/capture-cost.ts journal unread dest=/dev/shm
// HB_BENCH_ROUNDS (8), HB_WINDOW_MS (12000); HB_SOCKET: a server already filled (bench/keep-server.ts).
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../src/capture/control";
import { run, sysbenchRun, tempDir } from "./lib/harness";
import { givenOrFilledServer } from "./lib/server";
import { cell, summarize } from "./lib/stats";
import { baselineAround, tpsIn, worstIn } from "./lib/window";

const variants = process.argv.slice(2).length ? process.argv.slice(2) : ["journal"];
const rounds = Number(process.env.HB_BENCH_ROUNDS ?? 8);
const windowMs = Number(process.env.HB_WINDOW_MS ?? 12_000);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const COPIED_LAST = ["ib_logfile0", "ibdata1", "ibtmp1", "binlog."];

await using work = tempDir("capture-cost");
await using server = await givenOrFilledServer(size);
// A given server (HB_SOCKET) comes with a socket only: ask it where it lives.
const asked = await run(["mariadb", `--socket=${server.socket}`, "--user=root", "-N", "-e", "SELECT @@datadir, @@pid_file"]);
const [dataPath, pidFile] = asked.stdout.trim().split("\t") as [string, string];
const datadir = dataPath.replace(/\/$/, "");
const pid = Number(readFileSync(pidFile.startsWith("/") ? pidFile : join(datadir, pidFile), "utf8").trim());
const capture = Capture.attach(pid);

/** Files a capture window leaves out of the journal, as a backup does with what it has not read yet. */
function unreadFiles(variant: string): { dev: bigint; ino: bigint }[] {
  const names = readdirSync(datadir, { recursive: true }) as string[];
  const leftOut = (name: string) => variant === "unread" || COPIED_LAST.some((p) => name.startsWith(p));
  return names
    .filter(leftOut)
    .map((name) => statSync(join(datadir, name), { bigint: true }))
    .filter((s) => s.isFile())
    .map((s) => ({ dev: s.dev, ino: s.ino }));
}

async function captureWindow(variant: string, journalPath: string): Promise<string> {
  const fd = openSync(journalPath, "wx", 0o600);
  try {
    capture.begin({ roots: [datadir], journalFd: fd, ringBytes: 64 << 20, leaseMs: 5000, maxWaitMs: 2000 });
    if (capture.registerUnread(unreadFiles(variant)) < 0) throw new Error("the shim's barrier timed out registering the unread files");
    await Bun.sleep(windowMs);
    const s = capture.status();
    const code = capture.end();
    if (code !== 0) throw new Error(`capture ended with shim error ${code}`);
    return ` journal ${(s.journalBytes / 2 ** 20).toFixed(0)} MiB, ${s.records} records`;
  } catch (e) {
    capture.end(30_000, true);
    throw e;
  } finally {
    closeSync(fd);
    if (variant.startsWith("dest=")) rmSync(journalPath); // a tmpfs holds it in memory; the run's own directory goes at the end
  }
}

const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows, extraArgs: ["--percentile=100"] });
await Bun.sleep(10_000);
type Window = { variant: string | null; from: number; to: number; extra: string };
const windows: Window[] = [];
const none = async () => {
  const from = Date.now();
  await Bun.sleep(windowMs);
  windows.push({ variant: null, from, to: Date.now(), extra: "" });
};
let samples: Awaited<ReturnType<typeof load.stop>>["samples"];
try {
  for (let round = 0; round < rounds; round++)
    for (const [i, variant] of variants.entries()) {
      await none();
      const dir = variant.startsWith("dest=") ? variant.slice(5) : work.path;
      const from = Date.now();
      const extra = await captureWindow(variant, join(dir, `hb-capture-cost-${process.pid}-${round}-${i}`));
      windows.push({ variant, from, to: Date.now(), extra });
    }
  await none();
} finally {
  capture.detach();
  ({ samples } = await load.stop()); // also on a failure: a given server must not be left under load
}

const nones = windows.filter((w) => w.variant === null);
const ratios = new Map<string, number[]>();
for (const w of windows.filter((x) => x.variant !== null)) {
  const base = baselineAround(samples, nones, w);
  const tps = tpsIn(samples, w.from, w.to);
  ratios.set(w.variant!, [...(ratios.get(w.variant!) ?? []), tps / base]);
  console.log(`${w.variant}: tps ${tps.toFixed(0)} (${(tps / base).toFixed(3)}× of ${base.toFixed(0)}) worst ${worstIn(samples, w.from, w.to).toFixed(0)} ms${w.extra}`);
}
for (const n of nones) console.log(`none: tps ${tpsIn(samples, n.from, n.to).toFixed(0)} worst ${worstIn(samples, n.from, n.to).toFixed(0)} ms`);
for (const [variant, xs] of ratios) console.log(`${variant}: ${cell(summarize(xs), 3)}× of no capture; per round ${xs.map((x) => x.toFixed(2)).join(", ")}`);
