// What a journaled fallocate(mode, off, len) did to a file's content and size (docs/journal.md, FALLOC),
// redone on the baseline. Allocation itself does not matter to the image; only bytes and size do.
import { fstatSync, ftruncateSync, readSync, writeSync } from "node:fs";
import { punchHole } from "../libc";

export const FL = { KEEP_SIZE: 1, PUNCH_HOLE: 2, NO_HIDE_STALE: 4, COLLAPSE_RANGE: 8, ZERO_RANGE: 16, INSERT_RANGE: 32, UNSHARE_RANGE: 64 };

const CHUNK = 1 << 20;
let zeros: Uint8Array | undefined;
let moveBuf: Uint8Array | undefined;

function writeAll(fd: number, buf: Uint8Array, len: number, at: number): void {
  for (let done = 0; done < len; ) done += writeSync(fd, buf, done, len - done, at + done);
}

/** Makes [from, to) read as zeros; the size does not change. */
export function zeroRange(fd: number, from: number, to: number): void {
  if (to <= from || punchHole(fd, from, to - from)) return;
  zeros ??= new Uint8Array(CHUNK);
  for (let at = from; at < to; at += CHUNK) writeAll(fd, zeros, Math.min(CHUNK, to - at), at);
}

/** Copies [src, src+len) to dst within one file, correct when the ranges overlap. */
function move(fd: number, src: number, dst: number, len: number): void {
  moveBuf ??= new Uint8Array(CHUNK);
  const step = (k: number) => {
    const n = Math.min(CHUNK, len - k);
    const got = readSync(fd, moveBuf!, 0, n, src + k);
    if (got !== n) throw new Error(`short read at ${src + k}`);
    writeAll(fd, moveBuf!, n, dst + k);
  };
  if (dst < src) for (let k = 0; k < len; k += CHUNK) step(k);
  else for (let k = Math.floor((len - 1) / CHUNK) * CHUNK; k >= 0; k -= CHUNK) step(k);
}

/** Collapse and insert move bytes: applied twice they are not applied once (replay.ts checkpoints them). */
export const shifts = (mode: number) => (mode & (FL.COLLAPSE_RANGE | FL.INSERT_RANGE)) !== 0;

/** `moved` is called between a collapse's or insert's move of bytes and its change of size. */
export function applyFalloc(fd: number, mode: number, off: number, len: number, moved?: () => void): void {
  const size = fstatSync(fd).size;
  const end = off + len;
  if (mode & FL.PUNCH_HOLE) return zeroRange(fd, off, Math.min(end, size)); // always with KEEP_SIZE
  if (mode & FL.COLLAPSE_RANGE) {
    // The range is removed and what follows moves down (the kernel refuses a range reaching EOF).
    if (end < size) move(fd, end, off, size - end);
    moved?.();
    return ftruncateSync(fd, Math.max(off, size - len));
  }
  if (mode & FL.INSERT_RANGE) {
    // A hole of len bytes is inserted at off and what follows moves up.
    if (off < size) move(fd, off, end, size - off);
    moved?.();
    ftruncateSync(fd, size + len);
    return zeroRange(fd, off, Math.min(end, size));
  }
  const grow = !(mode & FL.KEEP_SIZE) && end > size;
  if (grow) ftruncateSync(fd, end); // the new bytes read as zeros
  if (mode & FL.ZERO_RANGE) zeroRange(fd, off, Math.min(end, size));
}
