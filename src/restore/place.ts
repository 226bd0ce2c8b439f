// One entry of a restore put in place, so that doing it again after an interruption finishes it: a rename
// (--move) happens once; a copy goes under a temporary name next to its target, is synced, then renamed,
// so an entry under its own name in the target is always whole.
import { chownSync, cpSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { lexists } from "../fs-steps";
import { basename, dirname, join } from "node:path";
import { debugSync } from "../backup/debug-sync";
import { HbError } from "../errors";
import { fsyncPath, fsyncTree } from "../fsync-tree";
import type { RestoreEntry } from "./targets";

/** The name a copy has in the target until it is whole. */
export const copyingName = (to: string) => join(dirname(to), `.hb-restore-${basename(to)}`);

function chownTree(path: string, uid: number, gid: number) {
  chownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Puts one entry in place; false if an earlier run already had. `owner`: who the server runs as (when root). */
export function placeEntry(dest: string, e: RestoreEntry, move: boolean, owner?: Owner): boolean {
  const from = join(dest, e.from);
  const inBackup = lexists(from);
  if (lexists(e.to)) {
    if (move && inBackup) throw new HbError("damaged", `${e.from} is both in the backup and at ${e.to}: something else put one of them there`);
    if (move && owner) chownTree(e.to, owner.uid, owner.gid); // renamed before an interruption, maybe not chowned
    return false;
  }
  if (!inBackup) throw new HbError("damaged", `${e.from} is neither in the backup nor at ${e.to}: the restore cannot be finished`);
  mkdirSync(dirname(e.to), { recursive: true, mode: 0o750 });
  debugSync("restore-entry");
  if (move) {
    renameOrExplain(from, e.to);
    if (owner) chownTree(e.to, owner.uid, owner.gid);
    return true;
  }
  const tmp = copyingName(e.to);
  rmSync(tmp, { recursive: true, force: true }); // an interrupted copy's
  cpSync(from, tmp, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: true });
  if (owner) chownTree(tmp, owner.uid, owner.gid);
  const st = lstatSync(tmp);
  if (st.isDirectory()) fsyncTree(tmp);
  else if (st.isFile()) fsyncPath(tmp);
  debugSync("restore-copied");
  renameSync(tmp, e.to);
  return true;
}

function renameOrExplain(from: string, to: string) {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EXDEV")
      throw new HbError("destination", `--move cannot rename ${from} to ${to}: not on the same filesystem`, "restore without --move (a copy)");
    throw err;
  }
}
