// Steps 3 and 4 of docs/journal.md: the final entries of every reachable directory (its latest listing, or
// the empty directory its NEW bind made, with later BIND/UNBIND records applied by key), and the tree they
// form from the roots. Pure: no filesystem access.
import { HbError } from "../errors";
import { RecType } from "../journal/format";
import type { NsRecord } from "../journal/reader";
import type { Manifest, ManifestListing } from "../dest/manifest";
import { type Incarnations, nodeKey, type NodeKey } from "./incarnations";

export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

/** What a key names, and where that came from. */
interface Entry {
  ident: string;
  inc: number;
  mode: number;
  target?: string;
  viaListing: boolean; // from the directory's listing, not from a record replayed over it
}

export interface TreeDir {
  path: string; // relative to DEST; "" = DEST itself
  ident: string;
  inc: number;
  synthetic: boolean; // a parent of a root's dest that no root provides
}
export interface TreeFile {
  ident: string;
  inc: number;
  paths: string[]; // several = hard links
  // Latest BIND OUTSIDE position of an ancestor whose listing this file was found in: its baseline must be
  // later (what was written while that directory was outside the roots is not in the journal). -1: none.
  outsideAbove: number;
}
export interface TreeSymlink {
  path: string;
  ident: string;
  target: string;
}
export interface Tree {
  dirs: TreeDir[]; // parents before children
  files: Map<NodeKey, TreeFile>;
  symlinks: TreeSymlink[];
  skipped: string[]; // entries that are neither file, directory nor symlink (sockets, fifos)
  outside: ReadonlyMap<NodeKey, number>; // latest BIND OUTSIDE of each node
}

export const shown = (path: string) => (path === "" ? "." : path);

export function cannotPrepare(path: string, ident: string, what: string): HbError {
  return new HbError("damaged", `cannot prepare ${shown(path)} (ident ${ident}): ${what}`, "take a new backup");
}

const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const badName = (n: string) => n === "." || n === ".." || n.includes("/") || n.includes("\0");

/** The indexes the walk needs, built once. */
class Index {
  readonly listing = new Map<NodeKey, ManifestListing>(); // latest listing of each directory incarnation
  readonly byParent = new Map<NodeKey, NsRecord[]>(); // BIND/UNBIND records on its keys, in journal order
  readonly outside = new Map<NodeKey, number>(); // latest BIND OUTSIDE of each node

  constructor(m: Manifest, ns: readonly NsRecord[], readonly inc: Incarnations) {
    for (const l of m.listings) {
      const key = nodeKey(l.ident, inc.at(l.ident, l.seq));
      const prev = this.listing.get(key);
      if (!prev || l.seq >= prev.seq) this.listing.set(key, l);
    }
    for (const r of ns) {
      if (r.type === RecType.CHMOD) continue;
      if (r.type === RecType.BIND && r.outside) this.outside.set(nodeKey(r.ident, inc.of(r)), r.pos);
      if (r.type === RecType.BIND && r.name === "") continue; // O_TMPFILE: an incarnation without a name yet
      const parent = nodeKey(r.parent, inc.at(r.parent, r.pos));
      const list = this.byParent.get(parent);
      if (list) list.push(r);
      else this.byParent.set(parent, [r]);
    }
  }

  /** The final keys of a directory incarnation, and the position its contents are known from. */
  entries(dir: TreeDir): { entries: Map<string, Entry>; since: number } {
    const key = nodeKey(dir.ident, dir.inc);
    const listing = this.listing.get(key);
    const born = this.inc.start(dir.ident, dir.inc);
    const entries = new Map<string, Entry>();
    let since: number;
    if (listing) {
      since = listing.seq;
      for (const e of listing.entries)
        entries.set(e.name, { ident: e.ident, inc: this.inc.at(e.ident, listing.seq), mode: e.mode, target: e.target, viaListing: true });
    } else if (born !== undefined) {
      since = born;
    } else {
      throw cannotPrepare(dir.path, dir.ident, "a directory that was never listed and not created during the backup");
    }
    for (const r of this.byParent.get(key) ?? []) {
      if (r.pos < since) continue;
      if (badName(r.name)) throw cannotPrepare(dir.path, dir.ident, `the record at journal position ${r.pos} names the entry "${r.name}"`);
      if (r.type === RecType.UNBIND) entries.delete(r.name);
      else entries.set(r.name, { ident: r.ident, inc: this.inc.of(r), mode: r.mode, target: r.target, viaListing: false });
    }
    return { entries, since };
  }
}

/** The final tree: every reachable directory, file and symlink, by path. */
export function buildTree(m: Manifest, ns: readonly NsRecord[], inc: Incarnations): Tree {
  const index = new Index(m, ns, inc);
  const tree: Tree = { dirs: [], files: new Map(), symlinks: [], skipped: [], outside: index.outside };
  const taken = new Map<string, "synthetic" | "entry">(); // paths in the tree, to catch roots that overlap
  const seenDirs = new Map<NodeKey, string>();
  const roots = [...m.roots].sort((a, b) => (a.dest ? a.dest.split("/").length : 0) - (b.dest ? b.dest.split("/").length : 0));
  for (const root of roots) {
    const parts = root.dest ? root.dest.split("/") : [];
    for (let k = 1; k < parts.length; k++) {
      const p = parts.slice(0, k).join("/");
      const had = taken.get(p);
      if (had === "entry") throw cannotPrepare(root.dest, root.ident, `root ${root.source} would go inside another root's tree at ${p}`);
      if (!had) {
        taken.set(p, "synthetic");
        tree.dirs.push({ path: p, ident: "", inc: 0, synthetic: true });
      }
    }
    if (taken.has(root.dest) || (root.dest === "" && taken.size))
      throw cannotPrepare(root.dest, root.ident, `root ${root.source} overlaps another root`);
    taken.set(root.dest, "entry");
    walk(index, tree, taken, seenDirs, { path: root.dest, ident: root.ident, inc: 0, synthetic: false });
  }
  return tree;
}

function walk(index: Index, tree: Tree, taken: Map<string, string>, seenDirs: Map<NodeKey, string>, root: TreeDir) {
  const stack: { dir: TreeDir; outsideAbove: number }[] = [{ dir: root, outsideAbove: -1 }];
  while (stack.length) {
    const { dir, outsideAbove } = stack.pop()!;
    const key = nodeKey(dir.ident, dir.inc);
    const again = seenDirs.get(key);
    if (again !== undefined) throw cannotPrepare(dir.path, dir.ident, `the same directory is also at ${shown(again)}`);
    seenDirs.set(key, dir.path);
    tree.dirs.push(dir);
    const { entries, since } = index.entries(dir);
    // Entries found by listing this directory were inside it while it was outside the roots, if it was.
    const outside = Math.max(outsideAbove, index.outside.get(key) ?? -1);
    if (since <= outside)
      throw cannotPrepare(dir.path, dir.ident, `the directory came in from outside the roots (journal position ${outside}) after it was last listed`);
    const children: typeof stack = [];
    for (const name of [...entries.keys()].sort()) {
      const e = entries.get(name)!;
      const path = join(dir.path, name);
      const above = e.viaListing ? outside : -1;
      taken.set(path, "entry");
      const type = e.mode & S_IFMT;
      if (type === S_IFDIR) children.push({ dir: { path, ident: e.ident, inc: e.inc, synthetic: false }, outsideAbove: above });
      else if (type === S_IFREG) {
        const fk = nodeKey(e.ident, e.inc);
        const f = tree.files.get(fk);
        if (f) {
          f.paths.push(path);
          f.outsideAbove = Math.max(f.outsideAbove, above);
        } else tree.files.set(fk, { ident: e.ident, inc: e.inc, paths: [path], outsideAbove: above });
      } else if (type === S_IFLNK) {
        if (!e.target) throw cannotPrepare(path, e.ident, "a symlink whose target is not known");
        tree.symlinks.push({ path, ident: e.ident, target: e.target });
      } else tree.skipped.push(path);
    }
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]!);
  }
}
