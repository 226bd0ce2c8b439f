// hb restore DEST --datadir DIR [--move]: XtraBackup's copy-back / move-back. Puts a prepared backup where a
// server will start on it: the datadir's entries into DIR, other capture roots (hb_root<N>) back where the
// backup found them; hb's and XtraBackup's own files stay behind.
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { refuseInUse } from "../dest/in-use";
import { HbError } from "../errors";
import { log } from "../log";
import { readOptionFile } from "../connect/options";
import { readManifest } from "../manifest";
import { readState } from "../prepare/state";

export interface RestoreOptions {
  datadir?: string;
  defaultsFile?: string; // the target server's option file: where it wants its datadir and InnoDB files
  move: boolean;
  forceNonEmpty: boolean;
}

export interface RestoreResult {
  datadir: string;
  moved: boolean;
  entries: number;
  startCommand: string;
}

const METADATA = (name: string) => name === ".hb" || name.startsWith("xtrabackup_") || name.startsWith("hb_") || name === "backup-my.cnf";

/** A process whose working directory is `dir`: mariadbd chdir()s into its datadir. */
function serverRunningIn(dir: string): number | undefined {
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === dir) return Number(pid);
    } catch {}
  }
  return undefined;
}

function checkTarget(dir: string, force: boolean) {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new HbError("destination", `${dir} exists and is not a directory`);
  const pid = serverRunningIn(dir);
  if (pid !== undefined) throw new HbError("destination", `a process (pid ${pid}) runs in ${dir}: stop the server before restoring into its datadir`);
  if (readdirSync(dir).length && !force)
    throw new HbError("destination", `${dir} is not empty`, "restore into an empty directory, or pass --force-non-empty-directories");
}

function chownTree(path: string, uid: number, gid: number) {
  chownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid, gid);
}

export function restoreBackup(destArg: string, o: RestoreOptions): RestoreResult {
  const dest = resolve(destArg);
  const state = readState(dest) ?? "not a backup";
  if (state !== "prepared") throw new HbError("damaged", `${dest} is not prepared (state: ${state})`, `run hb prepare ${destArg} first`);
  refuseInUse(dest, "restore from");
  const manifest = readManifest(dest);
  const wants = o.defaultsFile ? serverOptions(o.defaultsFile) : {};
  if (!o.datadir && !wants.datadir) throw new HbError("usage", "where to? give --datadir, or --defaults-file with a datadir");
  const datadir = resolve(o.datadir ?? wants.datadir!);
  const innodbDir = innodbPlacement(datadir, wants);
  const places = new Map<string, string>([["", datadir]]);
  for (const root of manifest.roots) if (root.dest) places.set(root.dest, root.source);
  for (const target of new Set([...places.values(), ...innodbDir.dirs])) checkTarget(target, o.forceNonEmpty);
  mkdirSync(datadir, { recursive: true, mode: 0o750 });
  const owner = statSync(datadir);
  let entries = 0;
  const put = (from: string, toDefault: string) => {
    const elsewhere = innodbDir.of(toDefault.split("/").pop()!);
    const to = elsewhere ? join(elsewhere, toDefault.split("/").pop()!) : toDefault;
    if (elsewhere) mkdirSync(elsewhere, { recursive: true, mode: 0o750 });
    if (o.move) renameSync(from, to);
    else cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: true });
    if (process.getuid?.() === 0) chownTree(to, owner.uid, owner.gid); // the server's user owns its files
    entries++;
  };
  for (const name of readdirSync(dest)) {
    if (METADATA(name) || places.has(name)) continue;
    put(join(dest, name), join(datadir, name));
  }
  for (const [inDest, target] of places) {
    if (!inDest) continue;
    mkdirSync(target, { recursive: true, mode: 0o750 });
    for (const name of readdirSync(join(dest, inDest))) put(join(dest, inDest, name), join(target, name));
    log.info(`${inDest} → ${target}`);
  }
  const startCommand = `mariadbd --datadir=${datadir}   (or: systemctl start mariadb, with datadir=${datadir} in its configuration)`;
  log.success(`${o.move ? "moved" : "copied"} ${entries} entries into ${datadir}${o.move ? " (the backup no longer holds them)" : ""}; start the server with: ${startCommand}`);
  return { datadir, moved: o.move, entries, startCommand };
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
