// Steps 2-6 of docs/journal.md put together: from the manifest and the journal's namespace records to
// everything materialize has to do. Pure, so every error is found before DEST is touched.
import type { NsRecord } from "../journal/reader";
import type { Manifest } from "../dest/manifest";
import { chooseBaselines, type FilePlan } from "./contents";
import { Incarnations, nodeKey } from "./incarnations";
import { finalModes } from "./modes";
import { buildTree, type Tree, type TreeSymlink } from "./namespace";
import { leftOut } from "../paths";

export interface DirPlan {
  path: string; // relative to DEST; "" = DEST itself
  mode: number; // permission bits
}
export interface ModedFile extends FilePlan {
  mode: number;
}
export interface Plan {
  dirs: DirPlan[]; // parents first
  files: ModedFile[];
  symlinks: TreeSymlink[];
  skipped: string[];
}

const DEFAULT_DIR = 0o750; // parents of a root's dest that no root provides
const FALLBACK = { dir: 0o700, file: 0o600 }; // never used when the manifest and journal are consistent

export function planPrepare(m: Manifest, ns: readonly NsRecord[]): Plan {
  const inc = new Incarnations(ns);
  const tree = leaveOut(buildTree(m, ns, inc), m.include ?? [], m.exclude ?? []);
  const files = chooseBaselines(tree, m.copies, inc);
  const wanted = new Set([...tree.dirs.map((d) => nodeKey(d.ident, d.inc)), ...tree.files.keys()]);
  const modes = finalModes(m, ns, inc, wanted);
  return {
    dirs: tree.dirs.map((d) => ({
      path: d.path,
      mode: d.synthetic ? DEFAULT_DIR : (modes.get(nodeKey(d.ident, d.inc)) ?? FALLBACK.dir),
    })),
    files: files.map((f) => ({ ...f, mode: modes.get(nodeKey(f.ident, f.inc)) ?? FALLBACK.file })),
    symlinks: tree.symlinks,
    skipped: tree.skipped,
  };
}

/** Drops excluded paths, and everything under an excluded directory, from the final tree. */
function leaveOut(tree: Tree, include: string[], exclude: string[]): Tree {
  if (!exclude.length && !include.length) return tree;
  const match = leftOut(include, exclude);
  const gone = new Set(tree.dirs.filter((d) => d.path && match(d.path)).map((d) => d.path));
  const out = (path: string) => {
    if (match(path)) return true;
    for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) if (gone.has(path.slice(0, i))) return true;
    return false;
  };
  for (const [key, f] of tree.files) {
    f.paths = f.paths.filter((p) => !out(p));
    if (!f.paths.length) tree.files.delete(key);
  }
  return { ...tree, dirs: tree.dirs.filter((d) => !d.path || !out(d.path)), symlinks: tree.symlinks.filter((l) => !out(l.path)) };
}
