// The stream of a backup while it is taken (docs/stream.md "How a backup is streamed"): the backup writes
// into a private staging directory as `hb backup DEST` would, and this sends each copy as soon as it is
// finished (then truncates it) and the journal as it grows (then punches out what was sent), so staging holds
// only what the reader has not taken yet. When the backup is complete, the rest follows (the journal's tail,
// the records, the state last). The server never waits for this: its writes go to the ring and the journal as
// always. A reader more than `maxBehindBytes` behind holds the copy until it has caught up by half (a copy
// of a table larger than that is sent whole before the next one starts); the journal cannot wait, so a reader
// that falls that far behind the journal alone, or takes nothing for the sink's stall timeout, fails the
// backup at its next tick.
import { closeSync, constants, ftruncateSync, openSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { HbError } from "../errors";
import { punchHole } from "../libc";
import { formatBytes } from "../units";
import { backupContents, workingPath } from "../dest";
import type { Session } from "../backup/session";
import { CHUNK_BYTES, ChunkKind } from "./format";
import { fileChunks } from "./source";
import type { RawChunk, StreamSink, StreamWriter } from "./writer";

const NONE = new Uint8Array(0);
const POLL_MS = 20;
const PAGE = 4096;

export class LiveStream {
  private session?: Session;
  private sentCopies = 0; // session.walker.copies[0..sentCopies) are sent
  private sent = new Set<string>(); // paths sent whole (directories, files)
  private journalSent = 0;
  private journalPunched = 0;
  private journalWritten = 0; // what the drain has written, as of the last tick (the capture is gone after the backup)
  private complete = false;
  private failure?: unknown;
  private aborted?: unknown;
  private readonly done: Promise<number>;

  constructor(
    private dest: string,
    writer: StreamWriter,
    sink: StreamSink,
    private maxBehindBytes: number,
  ) {
    this.done = writer.writeTo(this.chunks(), sink).catch((e) => {
      this.failure = e;
      throw e;
    });
    this.done.catch(() => {}); // reported by watch() or finish()
  }

  /** The session's tick hook (SessionOptions.watch): holds the copy for a reader behind, fails the backup once
   * the stream has failed or the reader fell too far behind the journal. */
  readonly watch = (s: Session): void => {
    this.session = s;
    this.journalWritten = s.stats().journalBytes;
    if (this.failure) throw this.failure;
    const journalBehind = this.journalWritten - this.journalSent;
    if (journalBehind > this.maxBehindBytes)
      throw new HbError(
        "io",
        `the stream's reader fell ${formatBytes(journalBehind)} behind the backup's journal (--stream-buffer ${formatBytes(this.maxBehindBytes)}): the streamed backup is abandoned`,
        "check what reads the stream (ssh, the uploader), or raise --stream-buffer",
      );
    const behind = this.behind();
    if (behind > this.maxBehindBytes) s.pool.waitForReader(true);
    else if (behind < this.maxBehindBytes / 2) s.pool.waitForReader(false);
  };

  /** Bytes finished in staging and not streamed yet. */
  private behind(): number {
    const s = this.session;
    if (!s) return 0;
    let n = this.journalWritten - this.journalSent;
    for (let i = this.sentCopies; i < s.walker.copies.length; i++) n += s.walker.copies[i]!.size;
    return n;
  }

  /** The backup in staging is complete: streams the rest and resolves with the bytes written. */
  async finish(): Promise<number> {
    this.complete = true;
    return this.done;
  }

  /** The backup failed: the stream stops without its trailer, so no reader takes what was sent for a backup. */
  abort(why: unknown): void {
    this.aborted = why;
  }

  private async *chunks(): AsyncGenerator<RawChunk> {
    while (!this.complete && !this.session && !this.aborted) await Bun.sleep(POLL_MS);
    if (this.aborted) throw this.aborted;
    yield* this.dirs();
    while (!this.complete) {
      if (this.aborted) throw this.aborted;
      // The pacer holds the copy to measure the server without it: the stream's compression holds too, so
      // that its CPU counts in what the backup costs the server (docs/throttle.md).
      if (this.session!.pool.paused) {
        await Bun.sleep(POLL_MS);
        continue;
      }
      let progressed = false;
      for (const c of this.newCopies()) {
        yield* this.file(c.file, 0, true);
        progressed = true;
      }
      const to = Math.min(this.journalWritten, this.journalOnDisk());
      if (to >= this.journalSent + CHUNK_BYTES) {
        yield* this.journalUpTo(to - (to % CHUNK_BYTES));
        progressed = true;
      }
      if (!progressed) await Bun.sleep(POLL_MS);
    }
    for (const c of this.newCopies()) yield* this.file(c.file, 0, true);
    const journal = relative(this.dest, workingPath(this.dest, "journal"));
    yield* this.dirs();
    for (const e of backupContents(this.dest))
      if (!e.dir && !this.sent.has(e.path)) yield* this.file(e.path, e.path === journal ? this.journalSent : 0, false);
  }

  private *newCopies() {
    const copies = this.session?.walker.copies ?? [];
    while (this.sentCopies < copies.length) yield copies[this.sentCopies++]!;
  }

  /** The journal's size in staging: the capture's count includes what its drain still buffers. */
  private journalOnDisk(): number {
    return statSync(workingPath(this.dest, "journal")).size;
  }

  /** Directory chunks for every directory staging has now that was not sent. */
  private *dirs(): Generator<RawChunk> {
    for (const e of backupContents(this.dest))
      if (e.dir && !this.sent.has(e.path)) {
        this.sent.add(e.path);
        yield { kind: ChunkKind.dir, path: e.path, offset: 0, data: NONE };
      }
  }

  /** A file from `from` to its end, then its end chunk; a copy sent whole is truncated in staging. */
  private async *file(path: string, from: number, truncate: boolean): AsyncGenerator<RawChunk> {
    yield* fileChunks(this.dest, path, from);
    this.sent.add(path);
    if (truncate) truncateStaged(join(this.dest, path));
  }

  /** The journal's bytes up to `to` (what the drain has written), then that part punched out of staging. */
  private async *journalUpTo(to: number): AsyncGenerator<RawChunk> {
    const path = relative(this.dest, workingPath(this.dest, "journal"));
    const fh = await open(join(this.dest, path), "r+"); // writable: a hole is punched through it
    try {
      while (this.journalSent < to) {
        const n = Math.min(CHUNK_BYTES, to - this.journalSent);
        const buf = new Uint8Array(n);
        const { bytesRead } = await fh.read(buf, 0, n, this.journalSent);
        if (bytesRead !== n) throw new HbError("internal", `the journal in staging is shorter than the capture says (${this.journalSent + bytesRead} < ${to})`);
        yield { kind: ChunkKind.data, path, offset: this.journalSent, data: buf };
        this.journalSent += n;
        const page = this.journalSent - (this.journalSent % PAGE);
        if (page > this.journalPunched && punchHole(fh.fd, this.journalPunched, page - this.journalPunched)) this.journalPunched = page;
      }
    } finally {
      await fh.close();
    }
  }
}

const relative = (dest: string, abs: string) => abs.slice(dest.length + 1);

/** A sent copy's bytes out of staging; the empty file stays for the backup's own end (fsync, manifest). */
function truncateStaged(path: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
}
