// The content pass of step 7: one sequential walk of the journal, applying each WRITE/TRUNC/FALLOC to the
// baseline of the file incarnation it is about, if its position is in that file's replay span. A file whose
// copy's CRC32C is known keeps it up to date through its writes, so the hash list need not read it again.
// Run again over a file a killed run partly replayed, the walk gives the same file (docs/prepare.md,
// "Interrupted and run again"); the records that move bytes (collapse, insert) are made so by a checkpoint.
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import type { Crc } from "../journal/crc-native";
import { crcAfterChange } from "../journal/crc32c-change";
import { RecType } from "../journal/format";
import { contentRecords } from "../journal/reader";
import { applyFalloc, shifts } from "./falloc";
import { killPoint } from "./fault";
import { beforeShift } from "./shift-checkpoint";

export interface ReplayTarget {
  path: string; // absolute
  from: number; // records with from <= pos < until
  until: number;
  copy?: { size: number; crc: number }; // the baseline's size and CRC32C, when the manifest has them
}

export interface ReplayStats {
  records: number; // applied
  bytes: number; // WRITE bytes applied
  kinds: { writes: number; truncates: number; fallocates: number }; // records applied, by type
  touched: Set<string>; // paths written
  crcs: Map<string, number>; // touched paths whose CRC32C after the replay is known without reading them
}

/** A few descriptors kept open, least recently used closed first: files are usually written in bursts. */
class Descriptors {
  private open = new Map<string, number>();
  constructor(private readonly max: number) {}

  get(path: string): number {
    const fd = this.open.get(path);
    if (fd !== undefined) {
      this.open.delete(path); // re-insert: Map order is the recency order
      this.open.set(path, fd);
      return fd;
    }
    if (this.open.size >= this.max) {
      const [oldest, ofd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      closeSync(ofd);
    }
    const nfd = openSync(path, "r+");
    this.open.set(path, nfd);
    return nfd;
  }

  closeAll(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

const targetOf = (list: readonly ReplayTarget[] | undefined, pos: number) => {
  if (list) for (const t of list) if (pos >= t.from && pos < t.until) return t;
  return undefined;
};

let scratch = new Uint8Array(65536);

/** Applies a WRITE's bytes at off (inside the file's size while its CRC is known), carrying that CRC past them. */
function write(fd: number, off: number, data: Uint8Array, file: { size: number; crc: number } | undefined, crc?: Crc) {
  if (file && crc) {
    if (scratch.length < data.length) scratch = new Uint8Array(data.length);
    const before = scratch.subarray(0, data.length);
    for (let got = 0, n; got < before.length; got += n)
      if ((n = readSync(fd, before, got, before.length - got, off + got)) === 0) throw new Error(`short read at ${off + got}`);
    file.crc = crcAfterChange(file.crc, before, data, file.size - off - data.length, crc);
  }
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done, off + done);
}

/**
 * Applies the journal; `crc` carries the CRC32C of targets with a `copy` through their writes (only over
 * baselines no earlier run has replayed into). `checkpoints` is the directory of the collapse/insert checkpoints.
 */
export function replayJournal(journal: string, targets: ReadonlyMap<string, readonly ReplayTarget[]>, checkpoints: string, crc?: Crc): ReplayStats {
  const stats: ReplayStats = { records: 0, bytes: 0, kinds: { writes: 0, truncates: 0, fallocates: 0 }, touched: new Set(), crcs: new Map() };
  const files = new Map<string, { size: number; crc: number } | undefined>(); // undefined: no longer known
  const fds = new Descriptors(64);
  try {
    for (const r of contentRecords(journal)) {
      const t = targetOf(targets.get(r.ident), r.pos);
      if (!t) continue;
      const fd = fds.get(t.path);
      if (!files.has(t.path)) files.set(t.path, crc && t.copy && { ...t.copy });
      const file = files.get(t.path);
      if (r.type === RecType.WRITE) {
        if (file && r.off + r.data.length > file.size) files.set(t.path, undefined); // grows: hashed at the end
        killPoint("write", () => write(fd, r.off, r.data.subarray(0, r.data.length >> 1), undefined));
        write(fd, r.off, r.data, files.get(t.path), crc);
        stats.bytes += r.data.length;
        stats.kinds.writes++;
      } else if (r.type === RecType.TRUNC) {
        files.set(t.path, undefined); // a size change: hashed at the end
        killPoint("trunc");
        ftruncateSync(fd, r.off);
        stats.kinds.truncates++;
      } else {
        files.set(t.path, undefined); // a size change or a hole: hashed at the end
        if (shifts(r.mode)) beforeShift(fd, checkpoints, r.pos);
        else killPoint("falloc");
        applyFalloc(fd, r.mode, r.off, r.count, () => killPoint("falloc"));
        stats.kinds.fallocates++;
      }
      stats.records++;
      stats.touched.add(t.path);
    }
  } finally {
    fds.closeAll();
  }
  for (const [path, file] of files) if (file) stats.crcs.set(path, file.crc);
  return stats;
}
