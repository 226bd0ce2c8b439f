// Step 7 of docs/journal.md, in three phases that can each be run again after a kill (docs/prepare.md,
// "Interrupted and run again"): build the planned tree under .hb/tree (baselines moved out of .hb/data, hard
// links, symlinks), replay the journal's contents over it, then set modes and move it into DEST.
import {
  chmodSync,
  closeSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { io, lexists } from "../fs-steps";
import { copyProblem } from "../copy/check";
import { checkDestLayout, dataDir, treeDir, workDir } from "../dest";
import { HbError } from "../errors";
import { syncFs } from "../libc";
import { fsyncPath } from "../fsync-tree";
import type { Crc } from "../journal/crc-native";
import { killPoint } from "./fault";
import type { Plan } from "./plan";
import { replayJournal, type ReplayStats, type ReplayTarget } from "./replay";
import { noteUnchanged, type Unchanged } from "./unchanged";

const topOf = (path: string) => path.split("/", 1)[0]!;
const inTree = (dest: string) => (path: string) => (path ? join(treeDir(dest), path) : treeDir(dest));
const checkpointsOf = (dest: string) => join(workDir(dest), "shift");

/** Top-level names the tree will add to DEST. */
export function treeTop(plan: Plan): Set<string> {
  const top = new Set<string>();
  for (const d of plan.dirs) if (d.path) top.add(topOf(d.path));
  for (const f of plan.files) for (const p of f.paths) top.add(topOf(p));
  for (const s of plan.symlinks) top.add(topOf(s.path));
  return top;
}

/** Before anything changes: every chosen copy is in .hb/data with the size and CRC32C the manifest recorded. */
export function checkCopies(dest: string, plan: Plan): void {
  for (const f of plan.files) {
    if (!f.copy) continue;
    const problem = copyProblem(dest, f.copy);
    if (problem)
      throw new HbError("damaged", `cannot prepare ${f.paths[0]} (ident ${f.ident}): its copy ${f.copy.file} is ${problem}`, "take a new backup");
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
/** Runs `make`, or accepts what an earlier run made: `made()` says whether the entry in the way is that. */
function once(make: () => void, made: () => boolean): void {
  try {
    make();
  } catch (e) {
    if (code(e) !== "EEXIST" || !made()) throw e;
  }
}

/**
 * Phase "tree": every directory, baseline, hard link and symlink of the plan under .hb/tree. Run again, it
 * finishes what a killed run began: a baseline already moved (gone from .hb/data, there in the tree) is done.
 * Nothing is replayed before this phase is recorded done, so a copy used twice is copied from a pristine first.
 */
export function buildTree(dest: string, plan: Plan): void {
  const at = inTree(dest);
  const mkdir = (path: string) =>
    io(`cannot create ${path}`, () => once(() => mkdirSync(path, { mode: 0o700 }), () => lstatSync(path).isDirectory()));
  // Directories stay 0700 while they are filled; their modes are set last (a 0555 one could not be filled).
  mkdir(at(""));
  for (const d of plan.dirs) {
    if (!d.path) continue;
    killPoint("tree");
    mkdir(at(d.path));
  }
  const placed = new Map<string, string>(); // copy file -> where it went (a copy used twice is copied)
  for (const f of plan.files) {
    const first = at(f.paths[0]!);
    killPoint("tree");
    io(`cannot create ${first}`, () => {
      if (!f.copy) once(() => closeSync(openSync(first, "wx", 0o600)), () => lstatSync(first).isFile());
      else {
        const before = placed.get(f.copy.file);
        const source = join(dest, f.copy.file);
        if (before !== undefined) copyFileSync(before, first);
        else if (lexists(source)) renameSync(source, first);
        else if (!lexists(first)) throw new HbError("damaged", `cannot prepare ${f.paths[0]}: its copy ${f.copy.file} is gone`, "take a new backup");
        placed.set(f.copy.file, first);
      }
    });
    for (const p of f.paths.slice(1)) {
      killPoint("tree");
      io(`cannot link ${at(p)}`, () => once(() => linkSync(first, at(p)), () => lstatSync(at(p)).ino === lstatSync(first).ino));
    }
  }
  for (const s of plan.symlinks) {
    killPoint("tree");
    io(`cannot create symlink ${at(s.path)}`, () => once(() => symlinkSync(s.target, at(s.path)), () => readlinkSync(at(s.path)) === s.target));
  }
  io(`cannot sync ${at("")}`, () => syncTree(dest, plan, []));
}

/**
 * Phase "replay": the journal over the tree, then everything synced. Given only when no earlier run replayed
 * anything: `crc` carries CRCs through the writes, and `unchanged` gets the files whose CRC32C is known: still
 * their copies byte for byte, or (with `crc`) overwritten in place.
 */
export function replayTree(dest: string, plan: Plan, journal: string, crc: Crc | undefined, unchanged: Unchanged | undefined): ReplayStats {
  const at = inTree(dest);
  const targets = new Map<string, ReplayTarget[]>();
  for (const f of plan.files) {
    const list = targets.get(f.ident) ?? [];
    const copy = f.copy?.crc === undefined ? undefined : { size: f.copy.size, crc: f.copy.crc };
    list.push({ path: at(f.paths[0]!), from: f.from, until: f.until, copy });
    targets.set(f.ident, list);
  }
  const stats = io("cannot replay the journal", () => replayJournal(journal, targets, checkpointsOf(dest), crc));
  if (unchanged) {
    const uses = new Map<string, number>(); // a copy used twice was copied again for its second file
    for (const f of plan.files) if (f.copy) uses.set(f.copy.file, (uses.get(f.copy.file) ?? 0) + 1);
    for (const f of plan.files) {
      const path = at(f.paths[0]!);
      const known = stats.touched.has(path) ? stats.crcs.get(path) : f.copy?.crc;
      if (known !== undefined && f.copy && uses.get(f.copy.file) === 1) noteUnchanged(unchanged, path, known);
    }
  }
  io("cannot sync the prepared files", () => syncTree(dest, plan, stats.touched));
  return stats;
}

/**
 * Phase "move": file modes, the tree's top-level entries into DEST, directory modes deepest first, then .hb's
 * scratch (data, tree, checkpoints) removed. Run again, an entry already in DEST (gone from the tree) is done.
 */
export function moveTree(dest: string, plan: Plan): void {
  const at = inTree(dest);
  const tree = at("");
  const top = treeTop(plan);
  const left = io(`cannot read ${tree}`, () => (lexists(tree) ? readdirSync(tree) : []));
  const where = (path: string) => (left.includes(topOf(path)) ? at(path) : join(dest, path));
  // An earlier run may have closed a directory (0555, 0500) before it was killed: open them all again first.
  for (const d of plan.dirs) if (d.path) io(`cannot set the mode of ${where(d.path)}`, () => chmodSync(where(d.path), 0o700));
  for (const f of plan.files) {
    const path = where(f.paths[0]!);
    killPoint("chmod");
    io(`cannot set the mode of ${path}`, () => chmodSync(path, f.mode));
  }
  io(`cannot move the tree into ${dest}`, () => {
    // What DEST may hold besides its metadata: the entries an earlier run already moved.
    checkDestLayout(dest, left, top);
    for (const name of left) {
      killPoint("move");
      renameSync(join(tree, name), join(dest, name));
    }
  });
  for (let k = plan.dirs.length - 1; k >= 0; k--) {
    const d = plan.dirs[k]!;
    if (d.path) io(`cannot set the mode of ${join(dest, d.path)}`, () => chmodSync(join(dest, d.path), d.mode));
  }
  io(`cannot sync ${dest}`, () => {
    if (!syncWhole(dest)) fsyncPath(dest); // the modes are in each file's inode, synced with the move's journal
  });
  io("cannot remove .hb/data and .hb/tree", () => {
    for (const scratch of [dataDir(dest), tree, checkpointsOf(dest)]) rmSync(scratch, { recursive: true, force: true });
  });
}

/** One syncfs of the filesystem holding `path`; false if it could not. */
function syncWhole(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    return syncFs(fd);
  } finally {
    closeSync(fd);
  }
}

/** Everything under .hb/tree on disk: one syncfs, or fsync of the files written, the new files and the directories. */
function syncTree(dest: string, plan: Plan, touched: Iterable<string>): void {
  const at = inTree(dest);
  if (syncWhole(at(""))) return;
  for (const path of touched) fsyncPath(path);
  for (const f of plan.files) fsyncPath(at(f.paths[0]!));
  for (const d of plan.dirs) fsyncPath(at(d.path));
}
