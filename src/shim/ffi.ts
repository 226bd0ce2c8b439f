// The shim's control API, loaded into hb itself with bun:ffi. The same library the server preloads;
// loaded by dlopen it interposes nothing and only offers these functions.
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedShimPath } from "./embedded";

const { i32, i64, u32, u64, u64_fast, ptr, cstring, void: none } = FFIType;

const symbols = {
  hb_ctl_attach: { args: [i32, ptr], returns: ptr },
  hb_ctl_begin: { args: [ptr, ptr, u64, u32, u32, i32], returns: i32 },
  hb_ctl_end: { args: [ptr, u32, i32], returns: i32 },
  hb_ctl_head: { args: [ptr], returns: u64_fast },
  hb_ctl_stat: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_events: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_mmaps: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_unread_add: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_unread_slot: { args: [ptr, u64, u64], returns: ptr },
  hb_ctl_unread_close: { args: [ptr], returns: none },
  hb_ctl_detach: { args: [ptr], returns: none },
  hb_strerror: { args: [i32], returns: cstring },
  hb_pool_new: { args: [i32, u64, i32, u64], returns: ptr },
  hb_pool_submit_ranges: { args: [ptr, u64, i32, i32, ptr, i32, ptr], returns: i32 },
  hb_pool_poll: { args: [ptr, ptr, i32], returns: i32 },
  hb_pool_pending: { args: [ptr], returns: i32 },
  hb_pool_bytes: { args: [ptr], returns: u64_fast },
  hb_pool_set_rate: { args: [ptr, u64], returns: none },
  hb_pool_free: { args: [ptr], returns: none },
  hb_pool_cancel: { args: [ptr], returns: none },
  hb_pool_pause: { args: [ptr, i32], returns: none },
  hb_pool_gentle: { args: [ptr, i32], returns: none },
  hb_pool_direct_writes: { args: [ptr, i32], returns: none },
  hb_openat: { args: [i32, ptr, i32], returns: i32 },
  hb_close: { args: [i32], returns: i32 },
  hb_fstat: { args: [i32, ptr], returns: i32 },
  hb_lstatat: { args: [i32, ptr, ptr], returns: i32 },
  hb_readlinkat: { args: [i32, ptr, ptr, i32], returns: i32 },
  hb_crc32c: { args: [u32, ptr, u64], returns: u32 },
  hb_file_crc32c: { args: [i32, u64], returns: i64 },
} as const;

let loaded: ReturnType<typeof dlopen<typeof symbols>> | undefined;

/**
 * Inside the compiled binary the shim lives in Bun's virtual filesystem, and bun:ffi would extract it to a
 * predictable name in $TMPDIR that it reuses without checking. Load our own private copy instead, and
 * remove it once mapped.
 */
function openLibrary() {
  const embedded = embeddedShimPath();
  if (!embedded.startsWith("/$bunfs")) return dlopen(embedded, symbols);
  const dir = mkdtempSync(join(tmpdir(), "hb-"));
  try {
    const copy = join(dir, "libhbshim.so");
    writeFileSync(copy, readFileSync(embedded), { mode: 0o700 }); // copyFileSync cannot read $bunfs
    return dlopen(copy, symbols);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shim's functions; loaded on first use. */
export function shim() {
  loaded ??= openLibrary();
  return loaded.symbols;
}

export type Handle = Pointer;

/** A NUL-terminated copy of s, for char* arguments. */
export const cstr = (s: string) => Buffer.from(`${s}\0`);

export interface StatResult {
  dev: bigint;
  ino: bigint;
  mode: number;
  size: number;
  nlink: number;
}

const statBuf = new BigUint64Array(5);
const toStat = (): StatResult => ({
  dev: statBuf[0]!,
  ino: statBuf[1]!,
  mode: Number(statBuf[2]),
  size: Number(statBuf[3]),
  nlink: Number(statBuf[4]),
});

/** fstat, with the encoding the shim journals. Returns -errno on failure. */
export function fstatFd(fd: number): StatResult | number {
  const r = shim().hb_fstat(fd, statBuf);
  return r < 0 ? r : toStat();
}

export function lstatAt(dirfd: number, name: string): StatResult | number {
  const r = shim().hb_lstatat(dirfd, cstr(name), statBuf);
  return r < 0 ? r : toStat();
}

/** openat(2) with O_CLOEXEC: a descriptor, or -errno. */
export function openAt(dirfd: number, name: string, flags: number): number {
  return shim().hb_openat(dirfd, cstr(name), flags);
}

export function closeFd(fd: number): void {
  shim().hb_close(fd);
}

const linkBuf = Buffer.alloc(4096);
export function readlinkAt(dirfd: number, name: string): string | number {
  const n = shim().hb_readlinkat(dirfd, cstr(name), linkBuf, linkBuf.length);
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
