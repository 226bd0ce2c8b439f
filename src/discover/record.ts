// DEST/hb_layout.json (docs/layout.md): the source's layout as the backup found it, and, once prepared, where
// each file that prepare brought into DEST's standard places came from, for restore to put it back.
import { existsSync, readFileSync } from "node:fs";
import { writeFileDurably } from "../fsync-tree";
import { join } from "node:path";
import { LAYOUT_RECORD } from "../dest/files";
import { HbError } from "../errors";
import type { RemoteLink, SourceLayout, SystemKind } from "./layout";

/** A file prepare moved: `path` in DEST (top level, or db/t.ibd for a remote table file), `origin` on the source. */
export interface PlacedFile {
  path: string;
  origin: string;
  kind: SystemKind | "remote";
  via?: "isl" | "symlink"; // remote only: how the source's datadir pointed at it
  link?: string; // remote only: the .isl or symlink, datadir-relative
}

export interface LayoutRecord {
  source: SourceLayout;
  remote?: RemoteLink[]; // the datadir's .isl files and symlinks at the backup's lock
  placed?: PlacedFile[];
}

const isText = (s: unknown) => typeof s === "string" && s !== "";

export function readLayoutRecord(dest: string): LayoutRecord | undefined {
  const file = join(dest, LAYOUT_RECORD);
  if (!existsSync(file)) return undefined;
  let r: LayoutRecord;
  try {
    r = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new HbError("damaged", `cannot read ${file}: ${(e as Error).message}`, "take a new backup");
  }
  const s = r?.source;
  const ok =
    s && [s.datadir, s.innodbDataHomeDir, s.innodbLogGroupHomeDir, s.innodbUndoDirectory, s.ariaLogDir].every(isText) &&
    Array.isArray(s.dataFiles) && s.dataFiles.every(isText) &&
    (r.remote === undefined || (Array.isArray(r.remote) && r.remote.every((l) => isText(l?.link) && isText(l.target)))) &&
    (r.placed === undefined || (Array.isArray(r.placed) && r.placed.every((p) => isText(p?.path) && isText(p.origin) && isText(p.kind))));
  if (!ok) throw new HbError("damaged", `${file} is not a layout record`, "take a new backup");
  return r;
}

/** Written whole (tmp, fsync, rename): a record is never half there. */
export function writeLayoutRecord(dest: string, r: LayoutRecord): void {
  writeFileDurably(join(dest, LAYOUT_RECORD), `${JSON.stringify(r, null, 1)}\n`);
}

export const sourceLayoutOf = (l: SourceLayout): SourceLayout => ({
  datadir: l.datadir,
  innodbDataHomeDir: l.innodbDataHomeDir,
  innodbLogGroupHomeDir: l.innodbLogGroupHomeDir,
  innodbUndoDirectory: l.innodbUndoDirectory,
  ariaLogDir: l.ariaLogDir,
  dataFiles: l.dataFiles,
});
