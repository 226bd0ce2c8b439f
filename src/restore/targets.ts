// Where each entry of a prepared backup goes: the datadir's entries into the target datadir (InnoDB's system,
// redo and undo files into the directories the target's option file names), each other capture root's
// (hb_root<N>) entries back where the backup found them. hb's and XtraBackup's own files stay behind.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { readOptionFile } from "../connect/options";
import { HbError } from "../errors";
import { isBackupRecord, type Manifest } from "../dest";

export interface RestoreEntry {
  from: string; // relative to DEST
  to: string; // absolute
}

/** The target server's settings: where its datadir and InnoDB files go (from --datadir / --defaults-file). */
export interface TargetOptions {
  datadir?: string;
  defaultsFile?: string;
}

/** The target datadir, and the settings of the target's option file that say where files go. */
export function targetSettings(o: TargetOptions): { datadir: string; wants: Record<string, string> } {
  const wants = o.defaultsFile ? serverOptions(o.defaultsFile) : {};
  if (!o.datadir && !wants.datadir) throw new HbError("usage", "where to? give --datadir, or --defaults-file with a datadir");
  return { datadir: resolve(o.datadir ?? wants.datadir!), wants };
}

/** Every entry DEST holds now and where it goes; `dirs` are the directories that receive them. */
export function restoreTargets(dest: string, manifest: Manifest, datadir: string, wants: Record<string, string>): { entries: RestoreEntry[]; dirs: string[] } {
  const innodb = innodbPlacement(datadir, wants);
  const places = new Map<string, string>([["", datadir]]);
  for (const root of manifest.roots) if (root.dest) places.set(root.dest, root.source);
  const entries: RestoreEntry[] = [];
  for (const name of readdirSync(dest).sort()) {
    if (isBackupRecord(name) || places.has(name)) continue;
    entries.push({ from: name, to: join(innodb.of(name) ?? datadir, name) });
  }
  for (const [inDest, target] of places) {
    if (!inDest || !existsSync(join(dest, inDest))) continue;
    for (const name of readdirSync(join(dest, inDest)).sort()) entries.push({ from: `${inDest}/${name}`, to: join(target, name) });
  }
  return { entries, dirs: [...new Set([...places.values(), ...innodb.dirs])] };
}

/** The [mysqld]/[server]/[mariadb]/[mariadbd] settings of an option file that say where files go. */
function serverOptions(file: string): Record<string, string> {
  if (!existsSync(file)) throw new HbError("usage", `option file ${file} does not exist`);
  const groups = readOptionFile(file);
  const out: Record<string, string> = {};
  for (const g of ["mysqld", "server", "mariadb", "mariadbd"])
    for (const k of ["datadir", "innodb-data-home-dir", "innodb-log-group-home-dir", "innodb-undo-directory"]) {
      const v = groups.get(g)?.get(k);
      if (v !== undefined) out[k] = v;
    }
  return out;
}

/** Where the target server looks for InnoDB's system, redo and undo files, when not in its datadir. */
function innodbPlacement(datadir: string, wants: Record<string, string>) {
  const dir = (key: string) => {
    const v = wants[key];
    if (!v || v === "./" || v === ".") return undefined;
    const abs = resolve(datadir, v);
    return abs === datadir ? undefined : abs;
  };
  const data = dir("innodb-data-home-dir");
  const redo = dir("innodb-log-group-home-dir");
  const undo = dir("innodb-undo-directory");
  return {
    dirs: [data, redo, undo].filter((d): d is string => !!d),
    of(name: string): string | undefined {
      if (/^ib_logfile\d+$/.test(name)) return redo;
      if (/^ibdata\d+$/.test(name)) return data;
      if (/^undo\d+$/.test(name)) return undo;
      return undefined;
    },
  };
}
