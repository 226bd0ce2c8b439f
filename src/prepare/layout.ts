// What may sit in DEST next to the tree prepare moves in: `.hb` and the metadata files a backup writes
// (DESIGN.md "Locks and metadata"). Anything else would end up mixed into the datadir, so prepare refuses.
import { readdirSync } from "node:fs";
import { HbError } from "../errors";

const METADATA = /^(xtrabackup_.+|backup-my\.cnf|hb_.+)$/;

/**
 * Throws unless DEST holds only `.hb`, metadata files and `moved` (top-level entries of the tree an earlier,
 * interrupted prepare already moved in), none of them named like an entry of `treeTop` still to come.
 */
export function checkDestLayout(dest: string, treeTop: Iterable<string>, moved: ReadonlySet<string> = new Set()): void {
  const present = new Set(readdirSync(dest));
  for (const name of present)
    if (name !== ".hb" && !METADATA.test(name) && !moved.has(name))
      throw new HbError("destination", `${dest} contains ${name}, which is not part of the backup`, "move it elsewhere and run prepare again");
  for (const name of treeTop)
    if (name === ".hb" || present.has(name))
      throw new HbError("destination", `the backed-up tree has an entry ${name} that DEST ${dest} already uses for the backup's own files`);
}
