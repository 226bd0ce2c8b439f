// hb backup --raw: capture a directory that a process running with the shim writes, copy it, end the
// capture. The generic form of the backup, and what the raw oracle tests.
import { realpathSync, statSync } from "node:fs";
import { HbError } from "../errors";
import { log } from "../log";
import { Capture } from "../capture/control";
import { prepareDest } from "../dest";
import { Session } from "./session";

export interface RawBackupOptions {
  dest: string;
  source: string;
  pid: number;
  throttleBytesPerSec: number; // 0 = unlimited
  parallel: number;
  gentle: boolean; // copy at low CPU and I/O priority
  ringBytes: number;
  leaseMs?: number;
  json?: boolean;
  quiet?: boolean;
  watch?: (s: Session) => void; // the stream's tick hook (src/stream/live.ts)
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
  writesLeftOut: number; // writes the copy read, so not journaled
  bytesLeftOut: number;
  ringWaits: number;
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
  try {
    const dest = prepareDest(o.dest, [source]);
    const session = new Session({ ...o, dest, capture, roots: [{ source, dest: "" }], exclude: [] });
    try {
      session.begin();
      log.info(`capture began on pid ${o.pid}; copying ${source}`);
      await session.copyAll();
      session.end();
      // I7: writes through a shared writable mapping are invisible, and raw mode has no lock to re-copy under.
      const mapped = session.mappedCopies();
      if (mapped.length)
        throw new HbError("capture", `${mapped.length} file(s) under the source are written through a shared mapping, which raw mode cannot capture`);
      await session.finish("raw");
      const result = { dest, source, pid: o.pid, ...session.stats(), durationMs: Math.round(performance.now() - started) };
      log.success(
        `backup complete: ${result.files} files, ${result.bytesCopied} bytes copied, journal ${result.journalBytes} bytes (${result.bytesLeftOut} bytes of writes left out: the copy read them) in ${result.durationMs} ms`,
      );
      return result;
    } finally {
      session.close();
    }
  } finally {
    capture.detach();
  }
}
