// Step 6 of docs/journal.md: the final permission bits of each node are the latest of what the copier
// observed (copies, listings, listing entries, at their seq) and what the journal recorded (NEW binds, CHMOD,
// at their pos). An observation at seq S reflects the records before S only, so a record at pos >= S wins.
import { RecType } from "../journal/format";
import type { NsRecord } from "../journal/reader";
import type { Manifest } from "../dest/manifest";
import { type Incarnations, nodeKey, type NodeKey } from "./incarnations";

interface Seen {
  at: number; // 2*seq for an observation, 2*pos+1 for a record: orders "record at S" after "observed at S"
  mode: number;
}

export function finalModes(m: Manifest, ns: readonly NsRecord[], inc: Incarnations, wanted: ReadonlySet<NodeKey>): Map<NodeKey, number> {
  const best = new Map<NodeKey, Seen>();
  const see = (key: NodeKey, at: number, mode: number) => {
    if (!wanted.has(key)) return;
    const prev = best.get(key);
    if (!prev || at >= prev.at) best.set(key, { at, mode });
  };
  for (const c of m.copies) see(nodeKey(c.ident, inc.at(c.ident, c.seq)), 2 * c.seq, c.mode);
  for (const l of m.listings) {
    see(nodeKey(l.ident, inc.at(l.ident, l.seq)), 2 * l.seq, l.mode);
    for (const e of l.entries) see(nodeKey(e.ident, inc.at(e.ident, l.seq)), 2 * l.seq, e.mode);
  }
  for (const r of ns) {
    // A plain BIND's mode was read before the rename and can be older than an fchmod recorded before it
    // (fchmod does not take the namespace lock); only a NEW bind's mode is certain: nothing else had the file.
    if (r.type === RecType.CHMOD || (r.type === RecType.BIND && r.isNew)) see(nodeKey(r.ident, inc.of(r)), 2 * r.pos + 1, r.mode);
  }
  const modes = new Map<NodeKey, number>();
  for (const [key, s] of best) modes.set(key, s.mode & 0o7777);
  return modes;
}
