// One backup's capture and copy, whatever drives it (raw mode, or a server's lock protocol): the journal, the
// copy threads, the walk of every root, the requests the journal makes of the copier, and the end checks.
import { closeSync } from "node:fs";
import { HbError, errnoText } from "../errors";
import { fsyncTree, fsyncTreeAsync } from "../fsync-tree";
import { leftOut } from "../paths";
import { Capture, shimErrorText } from "../capture/control";
import { NeedTracker, parseEvents, type Need, type NsEvent } from "../capture/events";
import { CopyPool } from "../copy/pool";
import { Walker, type WalkerOptions } from "../copy/walker";
import { DATA_REL, createJournal, dataDir, writeManifest, writeState } from "../dest";
import { startProgress } from "./progress";
import { treeBytes } from "./tree-bytes";
import { onInterrupt } from "./interrupt";
import { debugSync } from "./debug-sync";

export interface SessionRoot {
  source: string; // canonical path, as the server sees it
  dest: string; // where it goes in DEST ("" = DEST itself)
}

export interface SessionOptions {
  dest: string; // created and checked by prepareDest
  capture: Capture;
  roots: SessionRoot[];
  exclude: string[]; // root-relative globs
  include?: string[]; // root-relative globs of user tables' files (see leftOut)
  throttleBytesPerSec: number;
  parallel: number;
  gentle: boolean; // copy at low CPU and I/O priority
  copyRanges?: WalkerOptions["ranges"]; // files copied only in part (InnoDB's redo log)
  partial?: WalkerOptions["partial"]; // the files copyRanges may apply to
  copyLast?: WalkerOptions["copyLast"];
  ringBytes: number;
  leaseMs?: number;
  serverMustLive?: boolean; // a server that dies mid-backup fails it at once (raw mode's writer may just finish)
  watch?: (s: Session) => void; // called at every tick; throws to fail the backup (the stream: src/stream/live.ts)
}

export class Session {
  private journalFd: number;
  readonly pool: CopyPool;
  readonly walker: Walker;
  private tracker = new NeedTracker();
  private pending: Need[] = [];
  private interrupt = onInterrupt();
  private rootIdents: string[] = [];
  readonly events: NsEvent[] = []; // every namespace record, in journal order (for the DDL log)
  private ended = false;
  copyMs = 0;
  private total?: number;
  private readonly skip: (rel: string) => boolean; // what the backup leaves out

  constructor(private o: SessionOptions) {
    writeState(o.dest, "copying");
    this.journalFd = createJournal(o.dest);
    this.pool = new CopyPool(o.parallel, o.throttleBytesPerSec, o.gentle);
    this.skip = leftOut(o.include ?? [], o.exclude);
    this.walker = new Walker({
      head: () => o.capture.head(),
      pool: this.pool,
      dataDir: dataDir(o.dest),
      dataRel: DATA_REL,
      maxOutstanding: o.parallel * 4,
      tick: () => this.tick(),
      skip: (rel) => this.skip(rel),
      ranges: o.copyRanges,
      partial: o.partial,
      copyLast: o.copyLast,
      unread: {
        register: (files) => {
          debugSync("listed");
          return o.capture.registerUnread(files);
        },
        slot: (dev, ino) => o.capture.unreadSlot(dev, ino),
        close: (slot) => o.capture.closeUnread(slot),
      },
    });
  }

  /** Drains namespace records into copy requests; throws if the capture failed or we were interrupted. */
  tick(): void {
    for (const e of parseEvents(this.o.capture.events())) {
      this.events.push(e);
      const need = this.tracker.add(e);
      if (need) this.pending.push(need);
    }
    const s = this.o.capture.status();
    if (s.state !== "active" && !this.ended)
      throw new HbError("capture", `the capture failed: ${s.errorText}${s.errno ? ` (${errnoText(s.errno)})` : ""}`);
    // Our mapping keeps the dead server's control block "active": ask the kernel whether the server lives.
    if (this.o.serverMustLive && !this.ended && !alive(s.pid))
      throw new HbError("capture", `the server (pid ${s.pid}) exited during the backup: this backup is incomplete`, "once the server is back, run the backup again");
    this.interrupt.check();
    this.o.watch?.(this);
    if (this.pool.bytes > 0) debugSync("copy");
  }

  begin(): void {
    this.o.capture.begin({
      roots: this.o.roots.map((r) => r.source),
      journalFd: this.journalFd,
      ringBytes: this.o.ringBytes,
      leaseMs: this.o.leaseMs ?? 5000,
      maxWaitMs: 2000,
    });
    this.rootIdents = this.o.roots.map((r) => this.walker.addRoot(r.source));
  }

  /** Lists and copies until the walk is done and every journaled BIND has what it needs. */
  async copyAll(): Promise<void> {
    const started = performance.now();
    const stop = startProgress({
      phase: () => "copying",
      bytes: () => this.pool.bytes,
      total: () => this.totalBytes,
      file: () => this.walker.currentFile,
      journalBytes: () => this.o.capture.status().journalBytes,
    });
    try {
      await this.copyLoop();
    } catch (e) {
      if (e instanceof HbError && e.kind === "io") await this.captureFailedToo();
      throw e;
    } finally {
      stop();
    }
    this.copyMs += Math.round(performance.now() - started);
  }

  /** A full destination fails the copy and the journal alike, whichever notices first: the journal's failure
   * (exit 9) is the one to report. Its drain writes every few milliseconds; throws its error if it failed. */
  private async captureFailedToo(): Promise<void> {
    for (let waited = 0; waited < 200; waited += 20) {
      if (this.o.capture.status().state !== "active") return this.tick();
      await Bun.sleep(20);
    }
  }

  /** What the roots hold now that the backup copies (an estimate: files grow and shrink while we copy). */
  private get totalBytes(): number {
    this.total ??= this.o.roots.reduce((sum, r) => sum + treeBytes(r.source, this.skip), 0);
    return this.total;
  }

  private async copyLoop(): Promise<void> {
    for (let round = 0; ; round++) {
      this.tick();
      while (this.pending.length) await this.walker.fetch(this.pending.shift()!);
      await this.walker.run();
      await this.walker.settle();
      this.tick();
      if (this.pending.length || this.walker.pendingDirs) continue;
      const open = this.tracker.open((n) => this.walker.satisfied(n));
      if (!open.length) break;
      // Not found where the journal said: it moved on, and a later record will say where.
      for (const n of open) await this.walker.fetch(n);
      if (round > 200) break; // end() reports what is still missing
      await Bun.sleep(10);
    }
  }

  /** Ends the capture (barrier), then checks that nothing the journal asked for is missing. */
  end(): void {
    const code = this.o.capture.end();
    this.ended = true;
    if (code !== 0) throw new HbError("capture", `the capture failed: ${shimErrorText(code)}`);
    for (const e of parseEvents(this.o.capture.events())) {
      this.events.push(e);
      this.tracker.add(e);
    }
    const missing = this.tracker.open((n) => this.walker.satisfied(n));
    if (missing.length)
      throw new HbError("capture", `${missing.length} entries moved into the backup's roots while the capture was ending (${missing[0]!.absPath}); run the backup again`);
  }

  /** Files with a writable shared mapping, among those copied (I7). */
  mappedCopies(): string[] {
    const mapped = this.o.capture.sharedMappings();
    if (mapped === null) throw new HbError("capture", "the process has too many writable shared mappings to check");
    const copied = new Set(this.walker.copies.map((c) => c.ident));
    return mapped.filter((m) => copied.has(m));
  }

  /** What is copied so far, on disk: the disk's write cache emptied by hb, before the server's next fsync would
   * wait for it (docs/benchmarks.md, "Where an idle backup's last 0.2–0.6 s go"). */
  async syncCopied(): Promise<void> {
    await fsyncTreeAsync(this.o.dest);
  }

  /** Writes manifest and state once everything is copied and synced. */
  async finish(kind: string): Promise<void> {
    await this.walker.settle();
    writeManifest(this.o.dest, {
      format: 1,
      kind,
      complete: true,
      roots: this.o.roots.map((r, i) => ({ dest: r.dest, source: r.source, ident: this.rootIdents[i]! })),
      listings: this.walker.listings,
      copies: this.walker.copies,
      exclude: this.o.exclude,
      include: this.o.include?.length ? this.o.include : undefined,
    });
    fsyncTree(this.o.dest);
    writeState(this.o.dest, "complete");
  }

  /** The ident of root i (after begin). */
  rootIdent(i: number): string {
    return this.rootIdents[i]!;
  }

  stats() {
    const s = this.o.capture.status();
    return {
      files: this.walker.copies.length,
      dirs: this.walker.listings.length,
      bytesCopied: this.pool.bytes,
      copyMs: this.copyMs,
      journalBytes: s.journalBytes,
      journalRecords: s.records,
      writesLeftOut: s.unreadSkips, // the copy read them: not journaled
      bytesLeftOut: s.unreadBytes,
      ringWaits: s.ringWaits, // server writes that waited for room in the ring: hb's drain fell behind
    };
  }

  close(): void {
    if (!this.ended) this.o.capture.end(5000, true);
    this.interrupt.dispose();
    this.walker.close();
    this.pool.close();
    closeSync(this.journalFd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}
