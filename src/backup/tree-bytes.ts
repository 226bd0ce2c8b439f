// Bytes of regular files under a directory (no symlinks followed), for progress totals.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function treeBytes(dir: string): number {
  let sum = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // gone or unreadable: the copier reports what matters
  }
  for (const name of names) {
    try {
      const st = lstatSync(join(dir, name));
      if (st.isDirectory()) sum += treeBytes(join(dir, name));
      else if (st.isFile()) sum += st.size;
    } catch {}
  }
  return sum;
}
