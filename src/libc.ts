// libc calls Node's fs lacks, through bun:ffi: fallocate (to zero a range by punching a hole instead of
// writing zeros), syncfs (one call to make everything prepare wrote durable), sync_file_range (to start
// writeback early, in small steps) and flock (one backup per server, per DEST). All but flock are optional: when libc cannot be loaded or the call fails, callers
// fall back to plain writes and fsync, or to letting the kernel choose when to write.
import { dlopen, FFIType } from "bun:ffi";

const symbols = {
  fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
  syncfs: { args: [FFIType.i32], returns: FFIType.i32 },
  sync_file_range: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.u32], returns: FFIType.i32 },
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
} as const;

let lib: ReturnType<typeof dlopen<typeof symbols>>["symbols"] | null | undefined;

function libc() {
  if (lib === undefined) {
    try {
      lib = dlopen("libc.so.6", symbols).symbols;
    } catch {
      lib = null;
    }
  }
  return lib;
}

const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2;
let punching = true;

/** Tests turn hole punching off to exercise the fallback that writes zeros. */
export function setHolePunching(on: boolean): void {
  punching = on;
}

/** Deallocates [off, off+len) without changing the size (reads give zeros). False if it could not. */
export function punchHole(fd: number, off: number, len: number): boolean {
  const c = punching ? libc() : null;
  return !!c && c.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) === 0;
}

/** Flushes the filesystem holding fd. False if it could not. */
export function syncFs(fd: number): boolean {
  const c = libc();
  return !!c && c.syncfs(fd) === 0;
}

const SYNC_FILE_RANGE_WRITE = 2;

/** Starts writeback of [off, off+len) of fd without waiting for it. False if it could not. */
export function startWriteback(fd: number, off: number, len: number): boolean {
  const c = libc();
  return !!c && c.sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE) === 0;
}

const LOCK_EX = 2, LOCK_NB = 4;

/** An exclusive flock(2) on fd without waiting: false if another open file holds it. Throws if libc is missing
 * (what the lock guards cannot be left unguarded). The lock goes with the last close of fd, or the process. */
export function tryLockExclusive(fd: number): boolean {
  const c = libc();
  if (!c) throw new Error("cannot load libc.so.6 for flock(2)");
  return c.flock(fd, LOCK_EX | LOCK_NB) === 0;
}
