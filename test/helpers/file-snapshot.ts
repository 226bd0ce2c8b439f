// Every file under some roots, hashed and stat'ed: taken twice around an operation, the two must be equal
// when it touched nothing there (prepare and restore never write outside the directories they were given).
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** path -> "kind size mode uid:gid links mtime ctime ino hash" (atime left out: reading a file may change it). */
export type FileSnapshot = Map<string, string>;

export function snapshotFiles(roots: string[]): FileSnapshot {
  const out: FileSnapshot = new Map();
  const visit = (path: string): void => {
    const st = lstatSync(path, { bigint: true });
    const kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
    const content = st.isFile()
      ? createHash("sha256").update(readFileSync(path)).digest("hex")
      : st.isSymbolicLink()
        ? readlinkSync(path)
        : "";
    out.set(path, `${kind} ${st.size} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.nlink} ${st.mtimeNs} ${st.ctimeNs} ${st.ino} ${content}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  for (const root of roots) visit(root);
  return out;
}

/** What differs between two snapshots, one line a path (empty: the same). */
export function snapshotDiff(before: FileSnapshot, after: FileSnapshot): string[] {
  const diffs: string[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(path), b = after.get(path);
    if (a !== b) diffs.push(`${path}: ${a ?? "(absent)"} -> ${b ?? "(absent)"}`);
  }
  return diffs;
}
