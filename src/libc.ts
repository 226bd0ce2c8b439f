// The file calls hb makes itself that Node's fs lacks or does differently, bound through the shim's small C
// helpers (shim/hb/files.c), which return -errno: the walker's openat/fstat/lstat/readlink by descriptor, with
// the stat encoding the capture journals; hole punching (to zero a range without writing zeros), syncfs (one
// call to make everything prepare wrote durable), sync_file_range (to start writeback early, in small steps)
// and flock (one backup per server, per DEST). Hole punching, syncfs and writeback are optional: when the library cannot be loaded or the call fails, callers fall back to plain
// writes and fsync, or to letting the kernel choose when to write.
import { FFIType } from "bun:ffi";
import { bindShim, cstr } from "./shim/library";

const { i32, i64, ptr } = FFIType;

const symbols = {
  hb_openat: { args: [i32, ptr, i32], returns: i32 },
  hb_close: { args: [i32], returns: i32 },
  hb_fstat: { args: [i32, ptr], returns: i32 },
  hb_lstatat: { args: [i32, ptr, ptr], returns: i32 },
  hb_readlinkat: { args: [i32, ptr, ptr, i32], returns: i32 },
  hb_punch_hole: { args: [i32, i64, i64], returns: i32 },
  hb_syncfs: { args: [i32], returns: i32 },
  hb_start_writeback: { args: [i32, i64, i64], returns: i32 },
  hb_try_lock: { args: [i32], returns: i32 },
} as const;

let bound: ReturnType<typeof bindShim<typeof symbols>> | undefined;
const calls = () => (bound ??= bindShim(symbols));

function optionalCalls() {
  try {
    return calls();
  } catch {
    return null;
  }
}

export interface StatResult {
  dev: bigint;
  ino: bigint;
  mode: number;
  size: number;
  nlink: number;
}

const statBuf = new BigUint64Array(5); // dev, ino, mode, size, nlink
const toStat = (): StatResult => ({
  dev: statBuf[0]!,
  ino: statBuf[1]!,
  mode: Number(statBuf[2]),
  size: Number(statBuf[3]),
  nlink: Number(statBuf[4]),
});

/** fstat, with the encoding the shim journals. Returns -errno on failure. */
export function fstatFd(fd: number): StatResult | number {
  const r = calls().hb_fstat(fd, statBuf);
  return r < 0 ? r : toStat();
}

export function lstatAt(dirfd: number, name: string): StatResult | number {
  const r = calls().hb_lstatat(dirfd, cstr(name), statBuf);
  return r < 0 ? r : toStat();
}

/** openat(2) with O_CLOEXEC: a descriptor, or -errno. */
export function openAt(dirfd: number, name: string, flags: number): number {
  return calls().hb_openat(dirfd, cstr(name), flags);
}

export function closeFd(fd: number): void {
  calls().hb_close(fd);
}

const linkBuf = Buffer.alloc(4096);
export function readlinkAt(dirfd: number, name: string): string | number {
  const n = calls().hb_readlinkat(dirfd, cstr(name), linkBuf, linkBuf.length);
  return n < 0 ? n : linkBuf.toString("utf8", 0, n);
}

export const identOf = (st: { dev: bigint; ino: bigint }) => `${st.dev}:${st.ino}`;

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  PATH: 0o10000000,
  AT_FDCWD: -100,
} as const;

export const S = {
  IFMT: 0o170000,
  IFDIR: 0o040000,
  IFREG: 0o100000,
  IFLNK: 0o120000,
} as const;
export const isDir = (mode: number) => (mode & S.IFMT) === S.IFDIR;
export const isReg = (mode: number) => (mode & S.IFMT) === S.IFREG;
export const isLnk = (mode: number) => (mode & S.IFMT) === S.IFLNK;

let punching = true;

/** Tests turn hole punching off to exercise the fallback that writes zeros. */
export function setHolePunching(on: boolean): void {
  punching = on;
}

/** Deallocates [off, off+len) without changing the size (reads give zeros). False if it could not. */
export function punchHole(fd: number, off: number, len: number): boolean {
  const c = punching ? optionalCalls() : null;
  return !!c && c.hb_punch_hole(fd, off, len) === 0;
}

/** Flushes the filesystem holding fd. False if it could not. */
export function syncFs(fd: number): boolean {
  const c = optionalCalls();
  return !!c && c.hb_syncfs(fd) === 0;
}

/** Starts writeback of [off, off+len) of fd without waiting for it. False if it could not. */
export function startWriteback(fd: number, off: number, len: number): boolean {
  const c = optionalCalls();
  return !!c && c.hb_start_writeback(fd, off, len) === 0;
}

/** An exclusive flock(2) on fd without waiting: false if another open file holds it. Throws if the call cannot
 * be made (what the lock guards cannot be left unguarded). The lock goes with the last close of fd, or the process. */
export function tryLockExclusive(fd: number): boolean {
  const r = calls().hb_try_lock(fd);
  if (r === 0) return true;
  if (r === -11 /* EWOULDBLOCK */) return false;
  throw new Error(`flock(2) failed: errno ${-r}`);
}
