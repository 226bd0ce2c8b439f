// The backup directory: checked before anything is written, and created private.
import {
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  statSync,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { HbError } from "../errors";
import { dataDir, workDir, workingPath } from "./files";
import { clearDeadBackup, deadBackupIn } from "../backup/dest-cleanup";

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/** The real path of the nearest existing ancestor, with the rest appended: where DEST will really be. */
function realTarget(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  if (parent === abs) return abs;
  return join(realTarget(parent), abs.slice(parent.length + 1));
}

/**
 * Refuses a DEST that is not empty, belongs to someone else, or sits inside (or contains) a capture root;
 * writes nothing. Returns where DEST really is.
 */
export function checkDest(dest: string, roots: string[]): string {
  const target = realTarget(dest);
  for (const root of roots) {
    if (inside(target, root))
      throw new HbError("destination", `${dest} is inside ${root}, which is being backed up`, "choose a destination outside the source");
    if (inside(root, target)) throw new HbError("destination", `${dest} contains ${root}, which is being backed up`);
  }
  if (existsSync(target)) {
    const st = statSync(target);
    if (!st.isDirectory()) throw new HbError("destination", `${dest} exists and is not a directory`);
    if (readdirSync(target).length && !deadBackupIn(target))
      throw new HbError("destination", `${dest} is not empty`, "a backup goes into a new or empty directory");
    // Whoever owns DEST can swap what hb writes into it for symlinks while hb (maybe root) writes there.
    if (st.uid !== euid())
      throw new HbError("destination", `${dest} belongs to uid ${st.uid}, not to this user (uid ${euid()})`, "let hb create DEST, or chown it first");
  }
  return target;
}

const euid = () => process.geteuid?.() ?? 0;

/** The nearest directory of `target` that exists (DEST itself once created): where free space is measured. */
export function existingAncestor(target: string): string {
  let dir = target;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Creates a checked DEST (0700) and its work directory .hb/data; .hb must be new: one planted meanwhile is not followed. */
export function createDest(target: string, dest = target): void {
  if (existsSync(target) && deadBackupIn(target)) clearDeadBackup(target);
  try {
    mkdirSync(target, { recursive: true, mode: 0o700 });
    chmodSync(target, 0o700); // also when DEST existed (empty): a backup is readable by its owner only
    mkdirSync(workDir(target), { mode: 0o700 });
    mkdirSync(dataDir(target), { mode: 0o700 });
  } catch (e) {
    throw new HbError("destination", `cannot create ${dest}: ${(e as Error).message}`);
  }
}


const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates the journal (.hb/journal), new, 0600, by hb itself (the server never opens it): O_EXCL|O_NOFOLLOW, so a
 * file or symlink already there is refused, never followed or overwritten.
 */
export function createJournal(dest: string): number {
  const file = workingPath(dest, "journal");
  try {
    return openSync(file, CREATE_NEW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP")
      throw new HbError("destination", `${file} already exists (or is a symlink): refusing to follow or overwrite it`);
    throw new HbError("destination", `cannot create ${file}: ${(e as Error).message}`);
  }
}
