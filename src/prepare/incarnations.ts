// Step 2 of docs/journal.md: an inode number can be reused, so everything (records, listings, copies) is
// about the incarnation of its ident current at its position. Incarnation 0 is the one that existed when the
// capture began; incarnation k starts at the k-th `BIND NEW` of that ident.
import type { NsRecord } from "../journal/reader";

/** A node: one incarnation of one ident, "dev:ino#k". */
export type NodeKey = string;
export const nodeKey = (ident: string, inc: number): NodeKey => `${ident}#${inc}`;

export class Incarnations {
  private starts = new Map<string, number[]>(); // ident -> positions of its NEW binds, ascending

  constructor(ns: readonly NsRecord[]) {
    for (const r of ns) {
      if (!r.isNew) continue;
      const list = this.starts.get(r.ident);
      if (list) list.push(r.pos);
      else this.starts.set(r.ident, [r.pos]);
    }
  }

  /**
   * The incarnation current at `pos`: the number of NEW binds of `ident` before it. A NEW bind itself
   * belongs to the incarnation it starts: `of(record)`.
   */
  at(ident: string, pos: number): number {
    const list = this.starts.get(ident);
    if (!list) return 0;
    let lo = 0, hi = list.length; // first index with list[i] >= pos
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The incarnation a record is about: the one it starts if it is a NEW bind. */
  of(r: { ident: string; pos: number; isNew?: boolean }): number {
    return this.at(r.ident, r.pos) + (r.isNew ? 1 : 0);
  }

  /** Position of the NEW bind that started `inc` (undefined for the original incarnation). */
  start(ident: string, inc: number): number | undefined {
    return inc > 0 ? this.starts.get(ident)?.[inc - 1] : undefined;
  }

  /** Position where the next incarnation starts (Infinity if none). */
  end(ident: string, inc: number): number {
    return this.starts.get(ident)?.[inc] ?? Number.POSITIVE_INFINITY;
  }
}
