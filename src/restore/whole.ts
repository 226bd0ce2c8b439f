// Before a restore touches the target: the backup holds every entry its prepared tree had. prepare records
// that tree in its hash list (src/verify/hashes.ts); an entry missing from DEST was moved out (an --move of
// an older hb, interrupted) or deleted, and restoring the rest would start a server without it.
import { HbError } from "../errors";
import { isBackupRecord, recordName, type Manifest } from "../dest";
import { log } from "../log";
import { readHashes } from "../verify/hashes";
import type { RestoreEntry } from "./targets";

/** The top-level entries of the prepared tree (of DEST and of each hb_root<N>), as DEST-relative paths. */
function preparedEntries(paths: string[], manifest: Manifest): string[] {
  const roots = manifest.roots.map((r) => r.dest).filter(Boolean);
  return paths.filter((p) => {
    const parts = p.split("/");
    if (parts.length === 1) return !isBackupRecord(p);
    return parts.length === 2 && roots.includes(parts[0]!);
  });
}

export function checkWhole(dest: string, manifest: Manifest, entries: RestoreEntry[]): void {
  const hashes = readHashes(dest);
  if (!hashes) {
    log.warn(`${dest} has no hash list (${recordName("hashes")}): cannot check that the backup is whole before restoring it`);
    if (!entries.length) throw new HbError("damaged", `${dest} holds no entries to restore`);
    return;
  }
  const present = new Set(entries.map((e) => e.from));
  const want = preparedEntries(Object.keys(hashes), manifest);
  const missing = want.filter((p) => !present.has(p));
  if (!missing.length) return;
  const shown = missing.slice(0, 5).join(", ") + (missing.length > 5 ? `, … (${missing.length} in all)` : "");
  throw new HbError(
    "damaged",
    `${dest} is not whole: ${missing.length} of its ${want.length} entries are missing (${shown})`,
    missing.length === want.length
      ? "the backup was moved out (hb restore --move): it holds no data any more"
      : "an earlier hb restore --move (of an hb without a restore journal) was interrupted, or files were removed: restore from another backup",
  );
}
