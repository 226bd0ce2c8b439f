// What a finished backup directory consists of, in the order a copy of it must be written: each directory
// before what it holds, and the state record last, so that a copy cut short anywhere is never "complete".
// The stream (src/stream) sends a backup in this order.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { recordPath } from "./files";

export interface BackupEntry {
  path: string; // relative to DEST, "/"-separated
  dir: boolean;
  size: number; // files only
}

/** Every directory and regular file under DEST (DEST itself left out); anything else is refused. */
export function backupContents(dest: string): BackupEntry[] {
  const state = recordPath(dest, "state");
  const out: BackupEntry[] = [];
  let last: BackupEntry | undefined;
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dest, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dest, path));
      if (st.isDirectory()) {
        out.push({ path, dir: true, size: 0 });
        walk(path);
      } else if (st.isFile()) {
        const entry = { path, dir: false, size: st.size };
        if (join(dest, path) === state) last = entry;
        else out.push(entry);
      } else throw new HbError("destination", `${join(dest, path)} is neither a file nor a directory: a backup holds none such`);
    }
  };
  walk("");
  if (last) out.push(last);
  return out;
}
