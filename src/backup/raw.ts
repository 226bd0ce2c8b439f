// hb backup --raw: capture a directory that a process running with the shim writes, copy it, end the
// capture. The generic form of the backup, and what the raw oracle tests.
import { closeSync, fsyncSync, openSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { writeManifest } from "../manifest";
import { Capture, shimErrorText } from "../capture/control";
import { NeedTracker, parseEvents, type Need } from "../capture/events";
import { CopyPool } from "../copy/pool";
import { Walker } from "../copy/walker";
import { shim } from "../shim/ffi";
import { prepareDest, writeState } from "./dest";
import { onInterrupt } from "./interrupt";

export interface RawBackupOptions {
  dest: string;
  source: string;
  pid: number;
  throttleBytesPerSec: number; // 0 = unlimited
  parallel: number;
  ringBytes: number;
  leaseMs?: number;
  json?: boolean;
  quiet?: boolean;
}

export interface RawBackupResult {
  dest: string;
  source: string;
  pid: number;
  files: number;
  dirs: number;
  bytesCopied: number;
  copyMs: number; // from the first byte copied to the last
  journalBytes: number;
  journalRecords: number;
  durationMs: number;
}

function checkSource(source: string): string {
  let real: string;
  try {
    real = realpathSync(source);
  } catch {
    throw new HbError("usage", `--source ${source} does not exist`);
  }
  if (!statSync(real).isDirectory()) throw new HbError("usage", `--source ${source} is not a directory`);
  return real;
}

export async function runRawBackup(o: RawBackupOptions): Promise<RawBackupResult> {
  const started = performance.now();
  const source = checkSource(o.source);
  const capture = Capture.attach(o.pid);
  const dest = prepareDest(o.dest, [source]);
  writeState(dest, "copying");
  const journalFd = openSync(join(dest, ".hb", "journal"), "wx", 0o600);
  const pool = new CopyPool(o.parallel, o.throttleBytesPerSec);
  const interrupt = onInterrupt();
  const tracker = new NeedTracker();
  const pending: Need[] = [];
  const tick = () => {
    for (const e of parseEvents(capture.events())) {
      const need = tracker.add(e);
      if (need) pending.push(need);
    }
    const s = capture.status();
    if (s.state !== "active") throw new HbError("capture", `the capture failed: ${s.errorText}${s.errno ? ` (errno ${s.errno})` : ""}`);
    interrupt.check();
  };
  const walker = new Walker({
    head: () => capture.head(),
    pool,
    dataDir: join(dest, ".hb", "data"),
    dataRel: ".hb/data",
    maxOutstanding: o.parallel * 4,
    tick,
  });
  let ended = false;
  try {
    capture.begin({ roots: [source], journalFd, ringBytes: o.ringBytes, leaseMs: o.leaseMs ?? 5000, maxWaitMs: 2000 });
    const rootIdent = walker.addRoot(source);
    log.info(`capture began on pid ${o.pid}; copying ${source}`);
    const copyStarted = performance.now();
    await copyUntilComplete(walker, tracker, pending, tick);
    const copyMs = Math.round(performance.now() - copyStarted);
    const code = capture.end();
    ended = true;
    if (code !== 0) throw new HbError("capture", `the capture failed: ${shimErrorText(code)}`);
    for (const e of parseEvents(capture.events())) tracker.add(e);
    const missing = tracker.open((n) => walker.satisfied(n));
    if (missing.length)
      throw new HbError(
        "capture",
        `${missing.length} entries moved into ${source} while the capture was ending (${missing[0]!.absPath}); run the backup again`,
      );
    refuseSharedMappings(capture, walker);
    await walker.settle();
    const status = capture.status();
    writeManifest(dest, {
      format: 1,
      kind: "raw",
      complete: true,
      roots: [{ dest: "", source, ident: rootIdent }],
      listings: walker.listings,
      copies: walker.copies,
    });
    fsyncSync(journalFd);
    shim().hb_syncfs(journalFd);
    writeState(dest, "complete");
    const result: RawBackupResult = {
      dest,
      source,
      pid: o.pid,
      files: walker.copies.length,
      dirs: walker.listings.length,
      bytesCopied: pool.bytes,
      copyMs,
      journalBytes: status.journalBytes,
      journalRecords: status.records,
      durationMs: Math.round(performance.now() - started),
    };
    log.success(
      `backup complete: ${result.files} files, ${result.bytesCopied} bytes copied, journal ${result.journalBytes} bytes in ${result.durationMs} ms`,
    );
    return result;
  } finally {
    if (!ended) capture.end(5000, true);
    interrupt.dispose();
    walker.close();
    pool.close();
    closeSync(journalFd);
    capture.detach();
  }
}

/** Copies and lists until the walk is done and every journaled BIND has what it needs. */
async function copyUntilComplete(walker: Walker, tracker: NeedTracker, pending: Need[], tick: () => void) {
  for (let round = 0; ; round++) {
    tick();
    while (pending.length) await walker.fetch(pending.shift()!);
    await walker.run();
    await walker.settle();
    tick();
    if (pending.length || walker.pendingDirs) continue;
    const open = tracker.open((n) => walker.satisfied(n));
    if (!open.length) return;
    // Not found where the journal said: it moved on; its later record will tell. Give it a moment.
    for (const n of open) await walker.fetch(n);
    if (round > 200) return; // the final check after the end reports what is still missing
    await Bun.sleep(10);
  }
}

/** I7: writes through a shared writable mapping are invisible; raw mode has no lock to re-copy under. */
function refuseSharedMappings(capture: Capture, walker: Walker) {
  const mapped = capture.sharedMappings();
  const copied = new Set(walker.copies.map((c) => c.ident));
  if (mapped === null) throw new HbError("capture", "the process has too many writable shared mappings to check");
  const hit = mapped.filter((m) => copied.has(m));
  if (hit.length)
    throw new HbError("capture", `${hit.length} file(s) under the source are written through a shared mapping, which raw mode cannot capture`);
}
