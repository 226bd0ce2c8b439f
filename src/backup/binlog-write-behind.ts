// BACKUP STAGE BLOCK_COMMIT fsyncs the current binary log while every commit waits. With sync_binlog=0 (the
// default) that file can hold seconds of unsynced writes, and the fsync was most of the lock on a loaded
// server (measured: BLOCK_DDL→BLOCK_COMMIT 56 ms of a 72 ms lock). Syncing it ourselves just before, while
// commits still run, leaves the server's own fsync only the last few milliseconds of writes.
//
// That sync, done at once, was itself a stall: 30 s of binlog (~50 MiB under sysbench here) sent to the disk
// in one burst, with every commit's redo flush queued behind it (the worst transaction of a loaded backup
// was at its end, 86-219 ms against 50-85 ms without a backup). So during the copy the binlog's new bytes
// are sent to the disk a quarter-second's worth at a time (writeback started, not waited for), and the
// presync finds next to nothing left. The kernel would write those pages anyway; only the moment changes.
import { closeSync, fstatSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Db } from "../connect/client";
import { fsyncPathAsync } from "../fsync-tree";
import { startWriteback } from "../libc";
import { log } from "../log";

const TICK_MS = 250;
const STEP = 4 << 20; // the most sent per tick: a backlog goes out at 16 MiB/s, not at once
const BACKLOG = 64 << 20; // how far back unsent pages may be when we start (older ones the kernel wrote)
const ASK_MS = 2000; // a binlog that stopped growing may have rotated: ask the server, at most this often

export class BinlogWriteBehind {
  private file?: { name: string; fd: number; sent: number; size: number };
  private askedAt = 0;
  private timer?: ReturnType<typeof setInterval>;
  private busy = false;

  constructor(
    private db: Db,
    private logBinBasename: string | undefined,
  ) {}

  /** Where the write-behind is: the binlog it follows and how much of it was sent to the disk. */
  get position(): { file?: string; sent: number } {
    return { file: this.file?.name, sent: this.file?.sent ?? 0 };
  }

  /** Starts writing the binlog behind the server, until presync(). */
  start(): void {
    if (!this.logBinBasename) return;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** Stops writing behind (idempotent). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await Bun.sleep(5);
    this.close();
  }

  /** Stops writing behind and syncs the current binlog (what little is left), while commits still run. */
  async presync(): Promise<void> {
    await this.stop();
    if (!this.logBinBasename) return;
    try {
      const path = await this.currentPath();
      if (!path) return;
      await fsyncPathAsync(path, true);
    } catch (e) {
      log.debug(`binlog presync skipped: ${(e as Error).message}`); // only an optimisation: the server syncs anyway
    }
  }

  private async currentPath(): Promise<string | undefined> {
    const [row] = await this.db.query<{ File: string }[]>("SHOW MASTER STATUS");
    if (!row?.File || row.File.includes("/")) return undefined;
    return join(dirname(this.logBinBasename!), row.File);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      // The file it follows is read by its descriptor; the server is asked which binlog is current only at
      // the start and when that file stops growing (a rotation), so a busy server sees no queries from this.
      const size = this.file ? fstatSync(this.file.fd).size : 0;
      if (!this.file || (size === this.file.size && Date.now() - this.askedAt >= ASK_MS)) {
        this.askedAt = Date.now();
        const path = await this.currentPath();
        if (!path) return;
        if (this.file?.name !== path) {
          this.close(); // rotated: follow the new one (the old one's rest is the kernel's to write)
          const fd = openSync(path, "r");
          const now = fstatSync(fd).size;
          this.file = { name: path, fd, sent: Math.max(0, now - BACKLOG), size: now };
        }
      }
      this.file.size = fstatSync(this.file.fd).size;
      const to = Math.min(this.file.size, this.file.sent + STEP);
      const from = this.file.sent - (this.file.sent % 4096);
      if (to > from && startWriteback(this.file.fd, from, to - from)) this.file.sent = to;
    } catch (e) {
      log.debug(`binlog write-behind: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private close(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }
}
