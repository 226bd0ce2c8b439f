// The backup directory: checked before anything is written, created private, and marked with its state
// so that prepare can tell a finished backup from an interrupted one.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { HbError } from "../errors";

export type BackupState = "copying" | "complete" | "preparing" | "prepared";

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/** The real path of the nearest existing ancestor, with the rest appended: where DEST will really be. */
function realTarget(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  if (parent === abs) return abs;
  return join(realTarget(parent), abs.slice(parent.length + 1));
}

/** Refuses a DEST that is not empty or sits inside (or contains) a capture root; creates it 0700. */
export function prepareDest(dest: string, roots: string[]): string {
  const target = realTarget(dest);
  for (const root of roots) {
    if (inside(target, root))
      throw new HbError("destination", `${dest} is inside ${root}, which is being backed up`, "choose a destination outside the source");
    if (inside(root, target)) throw new HbError("destination", `${dest} contains ${root}, which is being backed up`);
  }
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new HbError("destination", `${dest} exists and is not a directory`);
    if (readdirSync(target).length) throw new HbError("destination", `${dest} is not empty`, "a backup goes into a new or empty directory");
  }
  try {
    mkdirSync(join(target, ".hb", "data"), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new HbError("destination", `cannot create ${dest}: ${(e as Error).message}`);
  }
  return target;
}

/** Writes .hb/state durably (tmp + fsync + rename). */
export function writeState(dest: string, state: BackupState): void {
  const file = join(dest, ".hb", "state");
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  writeSync(fd, `${state}\n`);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}
