// hb restore DEST --datadir DIR [--move]: XtraBackup's copy-back / move-back. Puts a prepared backup where a
// server will start on it: the datadir's entries into DIR, other capture roots (hb_root<N>) back where the
// backup found them; hb's and XtraBackup's own files stay behind.
import { chownSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { isBackupRecord, readManifest, readState } from "../dest";
import { readLayoutRecord } from "../discover/record";
import { checkRemoteTargets, placeRemote, placementOf, serverOptions } from "./placement";

export interface RestoreOptions {
  datadir?: string;
  defaultsFile?: string; // the target server's option file: where it wants its datadir and InnoDB files
  move: boolean;
  forceNonEmpty: boolean;
  tablesInDatadir?: boolean; // DATA/INDEX DIRECTORY table files stay in the datadir (docs/layout.md)
}

export interface RestoreResult {
  datadir: string;
  moved: boolean;
  entries: number;
  startCommand: string;
}

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
  const manifest = readManifest(dest);
  const wants = o.defaultsFile ? serverOptions(o.defaultsFile) : {};
  if (!o.datadir && !wants.datadir) throw new HbError("usage", "where to? give --datadir, or --defaults-file with a datadir");
  const datadir = resolve(o.datadir ?? wants.datadir!);
  const placement = placementOf(readLayoutRecord(dest), datadir, o.defaultsFile ? wants : undefined, o.tablesInDatadir === true);
  const places = new Map<string, string>([["", datadir]]);
  for (const root of manifest.roots) if (root.dest && existsSync(join(dest, root.dest))) places.set(root.dest, root.source); // prepared by an older hb
  for (const target of new Set([...places.values(), ...placement.dirs])) checkTarget(target, o.forceNonEmpty);
  checkRemoteTargets(placement);
  mkdirSync(datadir, { recursive: true, mode: 0o750 });
  const owner = statSync(datadir);
  let entries = 0;
  const put = (from: string, toDefault: string) => {
    const elsewhere = placement.dirOf(toDefault.split("/").pop()!);
    const to = elsewhere ? join(elsewhere, toDefault.split("/").pop()!) : toDefault;
    if (elsewhere) mkdirSync(elsewhere, { recursive: true, mode: 0o750 });
    if (o.move) renameSync(from, to);
    else cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: false, errorOnExist: true });
    if (process.getuid?.() === 0) chownTree(to, owner.uid, owner.gid); // the server's user owns its files
    entries++;
  };
  for (const name of readdirSync(dest)) {
    if (isBackupRecord(name) || places.has(name)) continue;
    put(join(dest, name), join(datadir, name));
  }
  for (const [inDest, target] of places) {
    if (!inDest) continue;
    mkdirSync(target, { recursive: true, mode: 0o750 });
    for (const name of readdirSync(join(dest, inDest))) put(join(dest, inDest, name), join(target, name));
    log.info(`${inDest} → ${target}`);
  }
  placeRemote(placement, datadir, (path) => process.getuid?.() === 0 && lchownSync(path, owner.uid, owner.gid));
  const startCommand = `mariadbd --datadir=${datadir}   (or: systemctl start mariadb, with datadir=${datadir} in its configuration)`;
  log.success(`${o.move ? "moved" : "copied"} ${entries} entries into ${datadir}${o.move ? " (the backup no longer holds them)" : ""}; start the server with: ${startCommand}`);
  return { datadir, moved: o.move, entries, startCommand };
}
