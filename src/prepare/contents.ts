// Step 5 of docs/journal.md: for every reachable file incarnation, the baseline it is built from (its latest
// copy, or an empty file when it was created during the backup) and the span of journal positions whose
// WRITE/TRUNC/FALLOC records are replayed over it. Pure: no filesystem access.
import type { ManifestCopy } from "../dest/manifest";
import { type Incarnations, nodeKey, type NodeKey } from "./incarnations";
import { cannotPrepare, type Tree, type TreeFile } from "./namespace";

export interface FilePlan {
  ident: string;
  inc: number;
  paths: string[]; // relative to DEST; the first gets the baseline, the others are hard links to it
  copy?: ManifestCopy; // undefined: empty baseline
  from: number; // replay records of this ident with from <= pos < until
  until: number;
}

/** Latest copy of each file incarnation. */
function latestCopies(copies: readonly ManifestCopy[], inc: Incarnations): Map<NodeKey, ManifestCopy> {
  const latest = new Map<NodeKey, ManifestCopy>();
  for (const c of copies) {
    const key = nodeKey(c.ident, inc.at(c.ident, c.seq));
    const prev = latest.get(key);
    if (!prev || c.seq >= prev.seq) latest.set(key, c);
  }
  return latest;
}

export function chooseBaselines(tree: Tree, copies: readonly ManifestCopy[], inc: Incarnations): FilePlan[] {
  const latest = latestCopies(copies, inc);
  const plans: FilePlan[] = [];
  for (const [key, f] of tree.files) plans.push(plan(f, latest.get(key), tree.outside.get(key) ?? -1, inc));
  return plans;
}

function plan(f: TreeFile, copy: ManifestCopy | undefined, outside: number, inc: Incarnations): FilePlan {
  const born = inc.start(f.ident, f.inc);
  const until = inc.end(f.ident, f.inc);
  const fail = (what: string) => cannotPrepare(f.paths[0]!, f.ident, what);
  // A copy reflects the records before its seq; a NEW bind is the file's first record.
  const from = copy ? copy.seq : born;
  if (from === undefined) throw fail("no copy of the file was taken: the copier missed it");
  if (outside >= from)
    throw fail(`the file came in from outside the roots (journal position ${outside}) after ${copy ? "it was copied" : "it was created"}`);
  if (f.outsideAbove >= from)
    throw fail(`its directory came in from outside the roots (journal position ${f.outsideAbove}) after ${copy ? "the file was copied" : "the file was created"}`);
  return { ident: f.ident, inc: f.inc, paths: f.paths, copy, from, until };
}
