// How far a prepare got: the name of the last phase whose work is on disk, in `.hb/prepare-phase`, written
// durably (tmp, fsync, rename, fsync of the directory) after that work was synced. A prepare run again on a
// `preparing` backup starts with the phase after it (docs/prepare.md, "Interrupted and run again").
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { workDir } from "../dest";
import { HbError } from "../errors";
import { writeFileDurably } from "../fsync-tree";

const file = (dest: string) => join(workDir(dest), "prepare-phase");

/** The last phase done, or undefined when none is (or the prepare that wrote it never got that far). */
export function readPhaseDone(dest: string): string | undefined {
  try {
    return readFileSync(file(dest), "utf8").trim() || undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new HbError("io", `cannot read ${file(dest)}: ${(e as Error).message}`);
  }
}

export function writePhaseDone(dest: string, phase: string): void {
  try {
    writeFileDurably(file(dest), `${phase}\n`);
  } catch (e) {
    throw new HbError("io", `cannot record that prepare's ${phase} phase is done: ${(e as Error).message}`);
  }
}

/** Once the state says prepared, the marker has nothing left to say. */
export function clearPhaseDone(dest: string): void {
  rmSync(file(dest), { force: true });
}
