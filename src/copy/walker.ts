// The copier: lists every directory under the roots and copies every regular file once, by identity,
// recording for each listing and copy the journal position it started at (docs/journal.md). Entries are
// opened relative to their directory's descriptor, so a listing is true of that directory whatever it is
// called by then.
import { openSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { HbError, errnoText } from "../errors";
import { step } from "../log";
import type { Need } from "../capture/events";
import {
  closeFd,
  fstatFd,
  identOf,
  isDir,
  isLnk,
  isReg,
  lstatAt,
  O,
  openAt,
  readlinkAt,
  type StatResult,
} from "../libc";
import type { Pointer } from "bun:ffi";
import type { CopyPool } from "./pool";

export interface ListingEntry {
  name: string;
  ident: string;
  mode: number;
  target?: string;
}
export interface Listing {
  ident: string;
  seq: number;
  mode: number;
  entries: ListingEntry[];
}
export interface CopyRecord {
  ident: string;
  seq: number;
  file: string;
  size: number;
  mode: number;
  crc: number; // CRC32C of the copy as written
}

interface DirTask {
  fd: number; // O_RDONLY|O_DIRECTORY descriptor
  rel: string; // root-relative path where the walk found it ("" for a root), for exclusions
  ident: string;
  mode: number;
  minSeq: number; // files copied before this position must be copied again (the dir came in from outside)
  path: string; // for messages only
}

const ENOENT = -2;
const gone = (r: number) => r === ENOENT || r === -40 /* ELOOP */ || r === -20 /* ENOTDIR */;

export interface WalkerOptions {
  head: () => number; // the capture's journal head
  pool: CopyPool;
  dataDir: string; // DEST/.hb/data
  dataRel: string; // how manifest names it: ".hb/data"
  maxOutstanding: number;
  tick: () => void; // called while waiting: drains namespace events
  skip?: (rootRelative: string) => boolean; // left out of the backup
  // Files copied only in part: `ranges`, chosen after the file's unread window closed, must cover every byte a
  // write left out until then can have landed in that matters (InnoDB's redo log: innodb-redo.ts).
  partial?: (absPath: string) => boolean;
  ranges?: (absPath: string, src: number, size: number) => Promise<[number, number][] | undefined>;
  // Copied after every other copy, lowest rank first, each rank once the one before is done: hot files, whose
  // writes until their copy are not journaled.
  copyLast?: (absPath: string) => number | undefined;
  unread?: UnreadTable; // the shim's table of files the copier will read (shim/common/unread.c)
}

/** The capture's side of the copier's promise: writes to what it has not read yet are left out of the journal. */
export interface UnreadTable {
  register(files: { dev: bigint; ino: bigint }[]): number; // waits out the calls in flight
  slot(dev: bigint, ino: bigint): Pointer | null;
  close(slot: Pointer): void;
}

/** A directory entry, opened (but for symlinks) before its registration. */
interface Opened {
  what: "file" | "dir" | "symlink" | "left out";
  name: string;
  path: string;
  rel: string;
  st: StatResult; // of the open descriptor (symlinks: lstat)
  fd?: number;
  target?: string;
}

// Files held open at once while a directory's files are registered: bounds hb's descriptors in a directory
// of thousands of tables, at one barrier per batch.
const OPEN_BATCH = 256;

interface Deferred {
  fd: number;
  st: StatResult;
  path: string;
  rank: number;
}

export class Walker {
  readonly listings: Listing[] = [];
  readonly copies: CopyRecord[] = [];
  private lastCopy = new Map<string, number>(); // ident -> seq of its latest copy
  private pathOf = new Map<string, string>(); // ident -> where it was last copied from
  private lastListing = new Map<string, number>(); // dir ident -> seq of its latest listing
  private dirFds = new Map<string, number>(); // dir ident -> O_PATH fd, to find entries by key later
  private queue: DirTask[] = [];
  private deferred: Deferred[] = [];
  private copyId = 0;
  currentFile = ""; // the file copied last submitted, for progress
  beforeLast?: () => Promise<void>; // runs once before the files kept for last are copied
  // Wait for every other copy before the files kept for last. Off for an idle server: nothing would be left
  // out of the journal, and the wait would cost the copy its parallelism at the end.
  lastAfterAll = true;
  private skipped = 0;

  constructor(private o: WalkerOptions) {}

  get pendingDirs() {
    return this.queue.length;
  }

  private roots: string[] = [];

  /** Root-relative form of an absolute path (for exclusions of things fetched by path). */
  private relOf(abs: string): string {
    const root = this.roots.find((r) => abs.startsWith(`${r}/`));
    return root ? abs.slice(root.length + 1) : abs;
  }

  /** Queues a root; returns its ident. */
  addRoot(path: string): string {
    const fd = openSync(path, O.RDONLY | O.DIRECTORY);
    const st = this.statOrThrow(fd, path);
    this.roots.push(path);
    this.queue.push({ fd, ident: identOf(st), mode: st.mode, minSeq: 0, path, rel: "" });
    return identOf(st);
  }

  /** Lists and copies until no directory is queued, then copies what was kept for last. */
  async run(): Promise<void> {
    while (this.queue.length || this.deferred.length) {
      const task = this.queue.pop();
      if (!task) {
        await this.copyDeferred();
        continue;
      }
      try {
        await this.listDir(task);
      } finally {
        closeFd(task.fd);
      }
    }
  }

  /** The files kept for last, rank by rank, each after every copy before it: their writes are left out until then. */
  private async copyDeferred(): Promise<void> {
    const ranks = [...new Set(this.deferred.map((d) => d.rank))].sort((a, b) => a - b);
    const all = this.deferred.splice(0);
    const wait = this.lastAfterAll;
    if (wait) await this.o.pool.waitBelow(0, this.o.tick);
    await this.beforeLast?.();
    this.beforeLast = undefined;
    for (const rank of ranks) {
      if (wait) await this.o.pool.waitBelow(0, this.o.tick);
      const group = all.filter((d) => d.rank === rank);
      step(`copying last: ${group.map((d) => d.path).join(", ")}`);
      for (const d of group) {
        if (this.lastCopy.has(identOf(d.st))) closeFd(d.fd); // fetched meanwhile
        else await this.copy(d.fd, d.st, d.path);
      }
    }
  }

  /** Is what the journal asked for already there? */
  satisfied(n: Need): boolean {
    const seq = n.dir ? this.lastListing.get(n.ident) : this.lastCopy.get(n.ident);
    return seq !== undefined && seq > n.after;
  }

  /** Where a listed directory is now (the path of the descriptor kept for it), to find what moved under it. */
  dirPath(ident: string): string | undefined {
    const fd = this.dirFds.get(ident);
    if (fd === undefined) return;
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return;
    }
  }

  /** Fetches what a journaled BIND asks for, found by its key (parent descriptor + name) or its path. */
  async fetch(n: Need): Promise<boolean> {
    if (this.satisfied(n)) return true;
    const parentFd = this.dirFds.get(n.parent);
    const flags = O.RDONLY | O.NOFOLLOW | (n.dir ? O.DIRECTORY : 0);
    let fd = parentFd !== undefined ? openAt(parentFd, n.name, flags) : -1;
    if (fd < 0) fd = openAt(O.AT_FDCWD, n.absPath, flags);
    if (fd < 0) return false;
    const st = fstatFd(fd);
    if (typeof st === "number" || identOf(st) !== n.ident) {
      closeFd(fd); // it moved on again: a later record will say where
      return false;
    }
    if (n.dir) this.queue.push({ fd, ident: n.ident, mode: st.mode, minSeq: n.after + 1, path: n.absPath, rel: this.relOf(n.absPath) });
    else await this.copy(fd, st, n.absPath);
    return true;
  }

  private statOrThrow(fd: number, path: string): StatResult {
    const st = fstatFd(fd);
    if (typeof st === "number") throw new HbError("io", `cannot stat ${path}: ${errnoText(-st)}`);
    return st;
  }

  private async listDir(task: DirTask): Promise<void> {
    const seq = this.o.head();
    const now = fstatFd(task.fd); // the mode as of seq: a chmod before it is not journaled after it
    if (typeof now !== "number") task.mode = now.mode;
    if (!this.dirFds.has(task.ident)) {
      const pathFd = openAt(task.fd, ".", O.PATH | O.DIRECTORY);
      if (pathFd >= 0) this.dirFds.set(task.ident, pathFd);
    }
    let names: string[];
    try {
      names = readdirSync(`/proc/self/fd/${task.fd}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // removed since we opened it: gone for good
      throw new HbError("io", `cannot list ${task.path}: ${(e as Error).message}`);
    }
    const entries: ListingEntry[] = [];
    for (let i = 0; i < names.length; i += OPEN_BATCH) {
      const batch: Opened[] = [];
      for (const name of names.slice(i, i + OPEN_BATCH)) {
        const e = this.open(task, name);
        if (e) batch.push(e);
      }
      this.promise(batch);
      for (const e of batch) await this.take(task, e, entries);
    }
    this.listings.push({ ident: task.ident, seq, mode: task.mode, entries });
    this.lastListing.set(task.ident, seq);
  }

  /** Opens one entry of a listed directory; undefined if it is gone since readdir or is not backed up. */
  private open(task: DirTask, name: string): Opened | undefined {
    const rel = task.rel ? `${task.rel}/${name}` : name;
    const path = join(task.path, name);
    const left = this.o.skip?.(rel) ?? false;
    const st = lstatAt(task.fd, name);
    if (typeof st === "number") {
      if (gone(st) || left) return; // removed since readdir: the journal has it
      throw new HbError("io", `cannot stat ${path}: ${errnoText(-st)}`);
    }
    if (isLnk(st.mode)) {
      if (left) return;
      const target = readlinkAt(task.fd, name);
      return typeof target === "number" ? undefined : { what: "symlink", name, path, rel, st, target };
    }
    const dir = isDir(st.mode);
    if (!dir && !isReg(st.mode)) {
      if (!left) this.skipped++; // sockets, fifos, devices: not part of a backup
      return;
    }
    if (dir && left) return;
    // O_NONBLOCK: should the name be a fifo by now, the open must not wait for a writer.
    const fd = openAt(task.fd, name, O.RDONLY | O.NOFOLLOW | O.NONBLOCK | (dir ? O.DIRECTORY : 0));
    if (fd < 0) {
      if (gone(fd) || left) return;
      throw new HbError("io", `cannot open ${path}: ${errnoText(-fd)}`);
    }
    const real = this.statOrThrow(fd, path);
    if (!dir && !isReg(real.mode)) {
      closeFd(fd); // replaced since the lstat: the journal has it
      return;
    }
    return { what: left ? "left out" : dir ? "dir" : "file", name, path, rel, st: real, fd };
  }

  /**
   * Registers the batch's regular files that this walk will copy (or leaves out of the backup), so that the
   * server's writes to them are not journaled until a copy reads them. Before any copy takes its journal
   * position, and while each is held open: a number registered could otherwise have gone, since the listing,
   * to a file created meanwhile, whose writes would then be left out with no copy to read them.
   */
  private promise(batch: Opened[]): void {
    const files = batch.filter((e) => (e.what === "file" || e.what === "left out") && !this.lastCopy.has(identOf(e.st)));
    if (files.length) this.o.unread?.register(files.map((e) => e.st));
  }

  /** What the listing records of an opened entry, and the copy or walk it starts. */
  private async take(task: DirTask, e: Opened, entries: ListingEntry[]): Promise<void> {
    if (e.what === "left out") return closeFd(e.fd!);
    const ident = identOf(e.st);
    if (e.what === "symlink") return void entries.push({ name: e.name, ident, mode: e.st.mode, target: e.target });
    entries.push({ name: e.name, ident, mode: e.st.mode });
    const fd = e.fd!;
    if (e.what === "dir") {
      if ((this.lastListing.get(ident) ?? -1) >= task.minSeq) closeFd(fd);
      else this.queue.push({ fd, ident, mode: e.st.mode, minSeq: task.minSeq, path: e.path, rel: e.rel });
      return;
    }
    const rank = task.minSeq === 0 ? this.o.copyLast?.(e.path) : undefined;
    if ((this.lastCopy.get(ident) ?? -1) >= task.minSeq && task.minSeq > 0) closeFd(fd);
    else if (this.lastCopy.has(ident) && task.minSeq === 0) closeFd(fd); // a hard link we have
    else if (rank !== undefined) this.deferred.push({ fd, st: e.st, path: e.path, rank });
    else await this.copy(fd, e.st, e.path);
  }

  /** Copies an ident again from where it was last copied, recording `seq` as its position (I7 re-copy). */
  async recopy(ident: string, seq: number): Promise<boolean> {
    const path = this.pathOf.get(ident);
    const fd = path ? openAt(O.AT_FDCWD, path, O.RDONLY | O.NOFOLLOW) : -1;
    if (fd < 0) return false;
    const st = fstatFd(fd);
    if (typeof st === "number" || identOf(st) !== ident) {
      closeFd(fd);
      return false;
    }
    await this.copy(fd, st, path!, seq);
    return true;
  }

  private async copy(src: number, st: StatResult, path: string, atSeq?: number): Promise<void> {
    await this.o.pool.waitBelow(this.o.maxOutstanding, this.o.tick);
    const seq = atSeq ?? this.o.head(); // before the first byte is read
    const now = fstatFd(src); // and the mode as of seq
    const mode = typeof now === "number" ? st.mode : now.mode;
    const id = ++this.copyId;
    const file = `${this.o.dataDir}/${id}`;
    let dst: number;
    try {
      dst = openSync(file, "wx+", 0o600); // read back by the pool for the copy's CRC
    } catch (e) {
      closeFd(src);
      throw new HbError("destination", `cannot create ${file}: ${(e as Error).message}`);
    }
    const ident = identOf(st);
    this.lastCopy.set(ident, seq);
    this.pathOf.set(ident, path);
    this.currentFile = path;
    const slot = this.o.unread?.slot(st.dev, st.ino) ?? null;
    let ranges: [number, number][] | undefined;
    if (this.o.partial?.(path)) {
      if (slot) this.o.unread!.close(slot);
      ranges = await this.o.ranges?.(path, src, st.size);
    }
    this.o.pool.submit(
      src,
      dst,
      path,
      (size, crc) => {
        this.copies.push({ ident, seq, file: `${this.o.dataRel}/${id}`, size, mode, crc });
      },
      ranges,
      ranges ? null : slot,
    );
  }

  /** Waits for every copy in flight. */
  async settle(): Promise<void> {
    await this.o.pool.waitBelow(0, this.o.tick);
  }

  close(): void {
    for (const fd of this.dirFds.values()) closeFd(fd);
    for (const t of this.queue) closeFd(t.fd);
    for (const d of this.deferred) closeFd(d.fd);
    this.dirFds.clear();
    this.queue = [];
    this.deferred = [];
  }
}
