// Bytes of regular files under a directory (no symlinks followed), for progress totals: only what the backup
// copies, so binary logs, excluded tables and the like do not make a copy look a quarter done at the end.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** leftOut: is this root-relative path left out of the backup (as the walker asks it)? */
export function treeBytes(dir: string, leftOut: (rel: string) => boolean = () => false, rel = ""): number {
  let sum = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // gone or unreadable: the copier reports what matters
  }
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    if (leftOut(childRel)) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (st.isDirectory()) sum += treeBytes(join(dir, name), leftOut, childRel);
      else if (st.isFile()) sum += st.size;
    } catch {}
  }
  return sum;
}
