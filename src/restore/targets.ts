// Where each entry of a prepared backup goes: the datadir's entries into the target datadir (InnoDB's and
// Aria's own files where placement.ts says for their kind), and, in a backup prepared by an older hb, each
// other capture root's (hb_root<N>) entries back where the backup found them. hb's and XtraBackup's own files
// stay behind.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { HbError } from "../errors";
import { isBackupRecord, type Manifest } from "../dest";
import { serverOptions, type Placement } from "./placement";

export interface RestoreEntry {
  from: string; // relative to DEST
  to: string; // absolute
}

/** The target server's settings: where its datadir and InnoDB files go (from --datadir / --defaults-file). */
export interface TargetOptions {
  datadir?: string;
  defaultsFile?: string;
  tablesInDatadir?: boolean; // DATA/INDEX DIRECTORY table files stay in the datadir (docs/layout.md)
}

/** The target datadir, and the settings of the target's option file that say where files go. */
export function targetSettings(o: TargetOptions): { datadir: string; wants: Record<string, string> } {
  const wants = o.defaultsFile ? serverOptions(o.defaultsFile) : {};
  if (!o.datadir && !wants.datadir) throw new HbError("usage", "where to? give --datadir, or --defaults-file with a datadir");
  return { datadir: resolve(o.datadir ?? wants.datadir!), wants };
}

/** Every entry DEST holds now and where it goes; `dirs` are the directories that receive them. */
export function restoreTargets(dest: string, manifest: Manifest, datadir: string, placement: Placement): { entries: RestoreEntry[]; dirs: string[] } {
  const places = new Map<string, string>([["", datadir]]);
  for (const root of manifest.roots) if (root.dest && existsSync(join(dest, root.dest))) places.set(root.dest, root.source); // prepared by an older hb
  const entries: RestoreEntry[] = [];
  for (const name of readdirSync(dest).sort()) {
    if (isBackupRecord(name) || places.has(name)) continue;
    entries.push({ from: name, to: join(placement.dirOf(name) ?? datadir, name) });
  }
  for (const [inDest, target] of places) {
    if (!inDest) continue;
    for (const name of readdirSync(join(dest, inDest)).sort()) entries.push({ from: `${inDest}/${name}`, to: join(target, name) });
  }
  return { entries, dirs: [...new Set([...places.values(), ...placement.dirs])] };
}
