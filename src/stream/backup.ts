// hb backup --stream: the backup taken into a private staging directory while LiveStream sends it to stdout;
// staging is removed at the end whatever happens (docs/stream.md "How a backup is streamed").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { formatBytes } from "../units";
import type { Session } from "../backup/session";
import { LiveStream } from "./live";
import { FdSink } from "./sinks";
import { StreamWriter, type StreamSink } from "./writer";

export interface StreamBackupOptions {
  tmpdir?: string; // --stream-tmpdir
  compressLevel?: number; // undefined: no compression
  key?: Uint8Array; // undefined: no encryption
  parallel: number; // chunks compressed and sealed at once
  stallMs: number; // --stream-stall-timeout
  bufferBytes: number; // --stream-buffer: the most staging may hold that the reader has not taken
  sink?: StreamSink; // where the stream goes; stdout (FdSink) by default
}

export interface StreamStats {
  bytes: number; // written to stdout
  compressed: boolean;
  encrypted: boolean;
  backupId: string; // hex, as in the stream's header
}

/** Runs `backup` into staging with the stream's tick hook, then ends the stream; returns its result and the stream's. */
export async function streamBackup<R>(
  o: StreamBackupOptions,
  backup: (dest: string, watch: (s: Session) => void) => Promise<R>,
): Promise<R & { stream: StreamStats }> {
  if (!o.sink && process.stdout.isTTY) throw new HbError("usage", "--stream writes the backup to stdout, which is a terminal", "redirect it: hb backup --stream > FILE, or | ssh HOST hb extract DIR");
  let staging: string;
  try {
    staging = mkdtempSync(join(o.tmpdir ?? tmpdir(), "hb-stream-")); // 0700
  } catch (e) {
    throw new HbError("destination", `cannot create a staging directory in ${o.tmpdir ?? tmpdir()}: ${(e as Error).message}`);
  }
  const writer = new StreamWriter({ compressLevel: o.compressLevel, key: o.key, parallel: o.parallel });
  const sink = o.sink ?? new FdSink(1, o.stallMs);
  const live = new LiveStream(join(staging, "backup"), writer, sink, o.bufferBytes);
  try {
    const result = await backup(join(staging, "backup"), live.watch);
    const bytes = await live.finish();
    log.success(`streamed ${formatBytes(bytes)}${o.sink ? "" : " to stdout"}`);
    return { ...result, stream: { bytes, compressed: o.compressLevel !== undefined, encrypted: o.key !== undefined, backupId: Buffer.from(writer.header.backupId).toString("hex") } };
  } catch (e) {
    live.abort(e);
    sink.abandon?.();
    throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
