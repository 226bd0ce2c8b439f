// Step 7 of docs/journal.md: build the planned tree under .hb/tree (baselines moved out of .hb/data, hard
// links, symlinks), replay the journal's contents over it, set modes, and move it into DEST.
import {
  chmodSync,
  closeSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { copyProblem } from "../copy/check";
import { HbError } from "../errors";
import { syncFs } from "../libc";
import { fsyncPath } from "../fsync-tree";
import type { Crc } from "../journal/crc-native";
import { checkDestLayout, dataDir, treeDir } from "../dest";
import type { Plan } from "./plan";
import { replayJournal, type ReplayStats, type ReplayTarget } from "./replay";
import { noteUnchanged, type Unchanged } from "./unchanged";

const topOf = (path: string) => path.split("/", 1)[0]!;

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

function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HbError) throw e;
    throw new HbError("io", `${what}: ${(e as Error).message}`);
  }
}

/**
 * Builds, replays and moves the tree into DEST. The caller has marked DEST `preparing`. `unchanged` gets the
 * files whose CRC32C is known: still their copies byte for byte, or overwritten in place by the replay (with
 * `crc` given, to carry each file's CRC through its writes).
 */
export function materialize(dest: string, plan: Plan, journal: string, crc: Crc | undefined, unchanged: Unchanged = new Map()): ReplayStats {
  const tree = treeDir(dest);
  const at = (path: string) => (path ? join(tree, path) : tree);
  io(`cannot create ${tree}`, () => mkdirSync(tree, { mode: 0o700 }));
  // Directories stay 0700 while they are filled; their modes are set last (a 0555 one could not be filled).
  for (const d of plan.dirs) if (d.path) io(`cannot create ${at(d.path)}`, () => mkdirSync(at(d.path), { mode: 0o700 }));

  const placed = new Map<string, string>(); // copy file -> where it went (a copy used twice is copied)
  const targets = new Map<string, ReplayTarget[]>();
  for (const f of plan.files) {
    const first = at(f.paths[0]!);
    io(`cannot create ${first}`, () => {
      if (!f.copy) closeSync(openSync(first, "wx", 0o600));
      else {
        const before = placed.get(f.copy.file);
        if (before !== undefined) copyFileSync(before, first);
        else renameSync(join(dest, f.copy.file), first);
        placed.set(f.copy.file, first);
      }
      for (const p of f.paths.slice(1)) linkSync(first, at(p));
    });
    const list = targets.get(f.ident) ?? [];
    const copy = f.copy?.crc === undefined ? undefined : { size: f.copy.size, crc: f.copy.crc };
    list.push({ path: first, from: f.from, until: f.until, copy });
    targets.set(f.ident, list);
  }
  for (const s of plan.symlinks) io(`cannot create symlink ${at(s.path)}`, () => symlinkSync(s.target, at(s.path)));

  const stats = io("cannot replay the journal", () => replayJournal(journal, targets, crc));
  for (const f of plan.files) io(`cannot set the mode of ${at(f.paths[0]!)}`, () => chmodSync(at(f.paths[0]!), f.mode));
  const uses = new Map<string, number>(); // a copy used twice was copied again for its second file
  for (const f of plan.files) if (f.copy) uses.set(f.copy.file, (uses.get(f.copy.file) ?? 0) + 1);
  for (const f of plan.files) {
    const path = at(f.paths[0]!);
    const known = stats.touched.has(path) ? stats.crcs.get(path) : f.copy?.crc;
    if (known !== undefined && f.copy && uses.get(f.copy.file) === 1) noteUnchanged(unchanged, path, known);
  }
  durable(tree, stats, plan, at);

  io(`cannot move the tree into ${dest}`, () => {
    checkDestLayout(dest, readdirSync(tree));
    for (const name of readdirSync(tree)) renameSync(join(tree, name), join(dest, name));
  });
  // Deepest first, so that a parent without write permission is closed after its children are done.
  for (let k = plan.dirs.length - 1; k >= 0; k--) {
    const d = plan.dirs[k]!;
    if (d.path) io(`cannot set the mode of ${join(dest, d.path)}`, () => chmodSync(join(dest, d.path), d.mode));
  }
  io(`cannot sync ${dest}`, () => fsyncPath(dest));
  io("cannot remove .hb/data and .hb/tree", () => {
    rmSync(dataDir(dest), { recursive: true, force: true });
    rmSync(tree, { recursive: true, force: true });
  });
  return stats;
}

/** Everything written so far on disk before the tree is moved into place: one syncfs, or fsync of each file and directory. */
function durable(tree: string, stats: ReplayStats, plan: Plan, at: (p: string) => string): void {
  io("cannot sync the prepared files", () => {
    const fd = openSync(tree, "r");
    try {
      if (syncFs(fd)) return;
    } finally {
      closeSync(fd);
    }
    for (const path of stats.touched) fsyncPath(path);
    for (const f of plan.files) if (!f.copy) fsyncPath(at(f.paths[0]!));
    for (const d of plan.dirs) fsyncPath(at(d.path));
  });
}
