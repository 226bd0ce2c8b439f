// Is a copy in .hb/data still what the copier wrote? Its size and CRC32C against the manifest's, so that a
// byte changed on the backup's storage before prepare is found (after prepare, hb verify's hashes take over).
import { errnoText } from "../errors";
import { closeSync, lstatSync, openSync } from "node:fs";
import { join } from "node:path";
import type { ManifestCopy } from "../dest/manifest";
import { shim } from "../shim/ffi";

/** undefined if the copy is intact, else what is wrong with it (for a message naming the file). */
export function copyProblem(dest: string, c: ManifestCopy): string | undefined {
  const path = join(dest, c.file);
  let size: number | undefined;
  try {
    const st = lstatSync(path);
    if (st.isFile()) size = st.size;
  } catch {}
  if (size === undefined) return "missing";
  if (size !== c.size) return `${size} bytes, the manifest says ${c.size}`;
  if (c.crc === undefined) return undefined; // a backup of an hb that did not record it
  const fd = openSync(path, "r");
  try {
    const crc = Number(shim().hb_file_crc32c(fd, c.size));
    if (crc < 0) return `unreadable: ${errnoText(-crc)}`;
    if (crc !== c.crc) return `damaged: CRC32C ${crc.toString(16).padStart(8, "0")}, the manifest says ${c.crc.toString(16).padStart(8, "0")}`;
  } finally {
    closeSync(fd);
  }
  return undefined;
}
