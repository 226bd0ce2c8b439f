// hb restore DEST --datadir DIR [--move]: XtraBackup's copy-back / move-back. Puts a prepared backup where a
// server will start on it (src/restore/targets.ts says where each entry goes), all or nothing: the backup is
// checked whole before the target is touched, the plan is journaled first (journal.ts), and an interrupted
// restore is finished by running the same command again (docs/prepare.md "Restore").
import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { debugSync } from "../backup/debug-sync";
import { refuseInUse } from "../dest/in-use";
import { HbError } from "../errors";
import { fsyncPath } from "../fsync-tree";
import { log } from "../log";
import { readManifest, readState } from "../dest";
import { readRestoreJournal, removeRestoreJournal, writeRestoreJournal, type RestoreJournal } from "./journal";
import { copyingName, placeEntry, type Owner } from "./place";
import { restoreTargets, targetSettings, type RestoreEntry, type TargetOptions } from "./targets";
import { readLayoutRecord } from "../discover/record";
import { checkRemoteTargets, placeRemote, placementOf } from "./placement";
import { checkWhole } from "./whole";

export interface RestoreOptions extends TargetOptions {
  move: boolean;
  forceNonEmpty: boolean;
}

export interface RestoreResult {
  datadir: string;
  moved: boolean;
  entries: number;
  resumed: boolean; // an interrupted restore was finished
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

/** `mine`: names an interrupted run of this restore put there (allowed without --force-non-empty-directories). */
function checkTarget(dir: string, force: boolean, mine: Set<string>) {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new HbError("destination", `${dir} exists and is not a directory`);
  const pid = serverRunningIn(dir);
  if (pid !== undefined) throw new HbError("destination", `a process (pid ${pid}) runs in ${dir}: stop the server before restoring into its datadir`);
  const others = readdirSync(dir).filter((n) => !mine.has(join(dir, n)));
  if (others.length && !force)
    throw new HbError("destination", `${dir} is not empty`, "restore into an empty directory, or pass --force-non-empty-directories");
}

/** A path as a shell word. */
const sh = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replaceAll("'", `'\\''`)}'`);
/** What finishes this restore, from any directory. */
const commandFor = (dest: string, datadir: string, move: boolean) => `hb restore ${sh(dest)} --datadir ${sh(datadir)}${move ? " --move" : ""}`;

/** The journal of an interrupted restore this run may finish, or an error naming it. */
function unfinished(dest: string, datadir: string, move: boolean): RestoreJournal | undefined {
  const j = readRestoreJournal(dest);
  if (!j) return undefined;
  if (j.move && j.done)
    throw new HbError("damaged", `${dest} was moved out into ${j.datadir} by hb restore --move: it holds no data any more`, `start the server on ${j.datadir}`);
  if (j.datadir === datadir && j.move === move) return j;
  if (!j.move) {
    log.warn(`an earlier copy of this backup into ${j.datadir} was interrupted: ${j.datadir} holds part of it (finish it with: ${j.command})`);
    return undefined;
  }
  const gone = j.entries.filter((e) => !existsSync(join(dest, e.from))).map((e) => e.from);
  throw new HbError(
    "damaged",
    `${gone.length} of the backup's ${j.entries.length} entries (${gone.slice(0, 5).join(", ")}${gone.length > 5 ? ", …" : ""}) were moved to ${j.datadir} by an interrupted hb restore --move`,
    `run \`${j.command}\` to finish it`,
  );
}

export function restoreBackup(destArg: string, o: RestoreOptions): RestoreResult {
  const dest = resolve(destArg);
  const state = readState(dest) ?? "not a backup";
  if (state !== "prepared") throw new HbError("damaged", `${dest} is not prepared (state: ${state})`, `run hb prepare ${destArg} first`);
  refuseInUse(dest, "restore from");
  const manifest = readManifest(dest);
  const { datadir, wants } = targetSettings(o);
  const placement = placementOf(readLayoutRecord(dest), datadir, o.defaultsFile ? wants : undefined, o.tablesInDatadir === true);
  let journal = unfinished(dest, datadir, o.move);
  const resumed = journal !== undefined;
  if (journal) {
    log.info(`finishing an interrupted restore of ${dest} into ${datadir}`);
    const mine = new Set(journal.entries.flatMap((e) => [e.to, copyingName(e.to)]));
    for (const dir of new Set(journal.entries.map((e) => dirname(e.to)))) checkTarget(dir, o.forceNonEmpty, mine);
  } else {
    const { entries, dirs } = restoreTargets(dest, manifest, datadir, placement);
    checkWhole(dest, manifest, entries);
    for (const dir of dirs) checkTarget(dir, o.forceNonEmpty, new Set());
    const taken = entries.find((e) => existsSync(e.to));
    if (taken) throw new HbError("destination", `${taken.to} already exists: a restore overwrites nothing`);
    checkRemoteTargets(placement);
    if (o.move) checkOneFilesystem(dest, entries);
    const command = commandFor(dest, datadir, o.move) + (o.tablesInDatadir ? " --tables-in-datadir" : "");
    journal = { format: 1, move: o.move, datadir, command, entries, done: false };
    writeRestoreJournal(dest, journal);
    debugSync("restore-planned");
  }
  placeAll(dest, journal.entries, o.move, datadir);
  placeRemote(placement, datadir, ownerOf(datadir));
  debugSync("restore-placed");
  if (o.move) writeRestoreJournal(dest, { ...journal, done: true });
  else removeRestoreJournal(dest);
  const startCommand = `mariadbd --datadir=${datadir}   (or: systemctl start mariadb, with datadir=${datadir} in its configuration)`;
  log.success(
    `${o.move ? "moved" : "copied"} ${journal.entries.length} entries into ${datadir}${resumed ? " (an interrupted restore, finished)" : ""}` +
      `${o.move ? " (the backup no longer holds them)" : ""}; start the server with: ${startCommand}`,
  );
  return { datadir, moved: o.move, entries: journal.entries.length, resumed, startCommand };
}

/** Who the server runs as, when we are root: the target datadir's owner owns its files. */
function ownerOf(datadir: string): Owner | undefined {
  const st = statSync(datadir);
  return process.getuid?.() === 0 ? { uid: st.uid, gid: st.gid } : undefined;
}

/** Every entry in place, then every directory that gained or lost one synced. */
function placeAll(dest: string, entries: RestoreEntry[], move: boolean, datadir: string): void {
  mkdirSync(datadir, { recursive: true, mode: 0o750 });
  const owner = ownerOf(datadir);
  const changed = new Set<string>();
  for (const e of entries) {
    if (!placeEntry(dest, e, move, owner)) continue;
    changed.add(dirname(e.to));
    if (move) changed.add(dirname(join(dest, e.from)));
  }
  for (const dir of changed) fsyncPath(dir);
}

/** --move renames: every target must be on DEST's filesystem, checked before the first rename. */
function checkOneFilesystem(dest: string, entries: RestoreEntry[]) {
  const dev = statSync(dest).dev;
  for (const dir of new Set(entries.map((e) => dirname(e.to)))) {
    let d = dir;
    while (!existsSync(d)) d = dirname(d);
    if (statSync(d).dev !== dev)
      throw new HbError("destination", `--move cannot rename into ${dir}: it is not on the backup's filesystem`, `restore without --move (a copy)`);
  }
}
