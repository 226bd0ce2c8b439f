// Where restore puts each file of a prepared backup (docs/layout.md). InnoDB's and Aria's files go where the
// target's option file says for their kind (its datadir when it names no directory), or, without one, where
// the source had them; a remote table file goes back to where the source had it, with its `.isl` or symlink
// made again in the datadir, or stays in the datadir with --tables-in-datadir. Only the target's directories
// are checked, never the source's.
import { copyFileSync, existsSync, lchownSync, mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { lexists } from "../fs-steps";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { HbError } from "../errors";
import { fsyncPath } from "../fsync-tree";
import { readOptionFile } from "../connect/options";
import { dataFileNames, type SystemKind } from "../discover/layout";
import type { LayoutRecord, PlacedFile } from "../discover/record";

const OPTION_OF: Record<SystemKind, string> = {
  "innodb-data": "innodb-data-home-dir",
  "innodb-redo": "innodb-log-group-home-dir",
  "innodb-undo": "innodb-undo-directory",
  "aria-log": "aria-log-dir-path",
};

/** The [mysqld]/[server]/[mariadb]/[mariadbd] settings of an option file that say where files go. */
export function serverOptions(file: string): Record<string, string> {
  if (!existsSync(file)) throw new HbError("usage", `option file ${file} does not exist`);
  const groups = readOptionFile(file);
  const out: Record<string, string> = {};
  for (const g of ["mysqld", "server", "mariadb", "mariadbd"])
    for (const k of ["datadir", "innodb-data-file-path", ...Object.values(OPTION_OF)]) {
      const v = groups.get(g)?.get(k);
      if (v !== undefined) out[k] = v;
    }
  return out;
}

export interface Placement {
  dirs: string[]; // directories besides the datadir that get system files: checked like the datadir
  dirOf(topName: string): string | undefined; // where a top-level entry goes, when not into the datadir
  remote: { path: string; to: string; link?: { path: string; via: "isl" | "symlink" } }[]; // datadir-relative path
}

/**
 * `wants`: the target's option file (undefined: none was given, files go where the source had them).
 * `record`: the backup's layout record (undefined: a backup without one keeps the datadir's layout).
 */
export function placementOf(record: LayoutRecord | undefined, datadir: string, wants: Record<string, string> | undefined, tablesInDatadir: boolean): Placement {
  const byName = new Map<string, string>();
  const remote: Placement["remote"] = [];
  for (const p of record?.placed ?? []) {
    if (p.kind === "remote") {
      if (!tablesInDatadir) remote.push({ path: p.path, to: p.origin, link: p.link ? { path: p.link, via: p.via ?? "isl" } : undefined });
      continue;
    }
    const dir = systemDir(p as PlacedFile & { kind: SystemKind }, record!.source.datadir, datadir, wants);
    if (dir !== datadir) byName.set(p.path, dir);
  }
  return { dirs: [...new Set(byName.values())], dirOf: (name) => byName.get(name), remote };
}

function systemDir(p: PlacedFile & { kind: SystemKind }, sourceDatadir: string, datadir: string, wants: Record<string, string> | undefined): string {
  if (!wants) return dirname(p.origin) === sourceDatadir ? datadir : dirname(p.origin);
  if (p.kind === "innodb-data") {
    const named = dataFileNames(wants["innodb-data-file-path"] ?? "").find((n) => isAbsolute(n) && basename(n) === p.path);
    if (named) return dirname(named);
  }
  const v = wants[OPTION_OF[p.kind]];
  return v ? resolve(datadir, v) : datadir;
}

/** Refuses remote table files that already exist where they would go: restore overwrites nothing. */
export function checkRemoteTargets(p: Placement): void {
  for (const r of p.remote)
    if (existsSync(r.to))
      throw new HbError("destination", `${r.to} already exists (the backup's ${r.path} goes there)`, "move it away, or pass --tables-in-datadir");
}

/**
 * After every entry is in place: moves each remote table file from the restored datadir to its place and makes
 * its pointer there. Run again after an interruption, it finishes what is left: a file already at its place
 * (a copy across filesystems is renamed into place whole, then its source removed), a pointer already made.
 */
export function placeRemote(p: Placement, datadir: string, owner?: { uid: number; gid: number }): void {
  const own = (path: string) => owner && lchownSync(path, owner.uid, owner.gid);
  for (const r of p.remote) {
    const from = join(datadir, r.path);
    if (!lexists(r.to)) {
      const made = mkdirSync(dirname(r.to), { recursive: true, mode: 0o750 });
      for (let d = dirname(r.to); made && d.length >= made.length; d = dirname(d)) own(d);
      try {
        renameSync(from, r.to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
        const tmp = join(dirname(r.to), `.hb-restore-${basename(r.to)}`);
        copyFileSync(from, tmp);
        fsyncPath(tmp);
        renameSync(tmp, r.to);
      }
      own(r.to);
      fsyncPath(dirname(r.to));
    }
    if (lexists(from)) unlinkSync(from); // copied across filesystems
    if (r.link && !lexists(join(datadir, r.link.path))) {
      const link = join(datadir, r.link.path);
      if (r.link.via === "isl") {
        const tmp = join(dirname(link), `.hb-restore-${basename(link)}`); // whole or not there
        writeFileSync(tmp, r.to, { mode: 0o660 });
        fsyncPath(tmp);
        renameSync(tmp, link);
      } else symlinkSync(r.to, link);
      own(link);
    }
    fsyncPath(dirname(from));
  }
}
