// A collapse or insert (FALLOC_FL_COLLAPSE_RANGE / INSERT_RANGE) moves a file's bytes, so replaying it over a
// file that a killed prepare had already shifted would shift it twice. Before the first run applies one, it
// saves the file as it is then, durably, named by the record's position; a run that meets a saved record puts
// the file back as it was saved before applying it. Nothing else in the journal needs this (docs/prepare.md).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fsyncPath } from "../fsync-tree";

const CHUNK = 1 << 20;

/** Copies all of `from` over `to` (both open), which ends with the same bytes and size. */
function copyFd(from: number, to: number): void {
  const buf = new Uint8Array(CHUNK);
  ftruncateSync(to, 0);
  for (let at = 0, n; (n = readSync(from, buf, 0, CHUNK, at)) > 0; at += n)
    for (let done = 0; done < n; ) done += writeSync(to, buf, done, n - done, at + done);
}

/** Called right before the collapse or insert at journal position `pos` is applied to the file open as `fd`. */
export function beforeShift(fd: number, dir: string, pos: number): void {
  const saved = join(dir, String(pos));
  if (existsSync(saved)) {
    const from = openSync(saved, "r");
    try {
      copyFd(from, fd); // the same inode: its hard links see it too
    } finally {
      closeSync(from);
    }
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const to = openSync(`${saved}.tmp`, "w", 0o600);
  try {
    copyFd(fd, to);
    fsyncSync(to);
  } finally {
    closeSync(to);
  }
  renameSync(`${saved}.tmp`, saved);
  fsyncPath(dir);
}
