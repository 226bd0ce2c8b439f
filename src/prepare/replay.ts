// The content pass of step 7: one sequential walk of the journal, applying each WRITE/TRUNC/FALLOC to the
// baseline of the file incarnation it is about, if its position is in that file's replay span.
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { RecType } from "../journal/format";
import { contentRecords } from "../journal/reader";
import { applyFalloc } from "./falloc";

export interface ReplayTarget {
  path: string; // absolute
  from: number; // records with from <= pos < until
  until: number;
}

export interface ReplayStats {
  records: number; // applied
  bytes: number; // WRITE bytes applied
  touched: Set<string>; // paths written
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

export function replayJournal(journal: string, targets: ReadonlyMap<string, readonly ReplayTarget[]>): ReplayStats {
  const stats: ReplayStats = { records: 0, bytes: 0, touched: new Set() };
  const fds = new Descriptors(64);
  try {
    for (const r of contentRecords(journal)) {
      const t = targetOf(targets.get(r.ident), r.pos);
      if (!t) continue;
      const fd = fds.get(t.path);
      if (r.type === RecType.WRITE) {
        for (let done = 0; done < r.data.length; ) done += writeSync(fd, r.data, done, r.data.length - done, r.off + done);
        stats.bytes += r.data.length;
      } else if (r.type === RecType.TRUNC) ftruncateSync(fd, r.off);
      else applyFalloc(fd, r.mode, r.off, r.count);
      stats.records++;
      stats.touched.add(t.path);
    }
  } finally {
    fds.closeAll();
  }
  return stats;
}
