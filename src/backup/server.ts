// hb backup DEST against a running MariaDB: discover, preflight, BACKUP STAGE START, capture + copy, then
// the final lock (FLUSH, BLOCK_DDL, BLOCK_COMMIT), the coordinates of that instant, the end of the capture,
// re-copies of what the shim cannot see (I7), BACKUP STAGE END, metadata.
import { relative } from "node:path";
import { HbError } from "../errors";
import { log, step } from "../log";
import { Capture } from "../capture/control";
import { connect, type ConnectionFlags } from "../connect/client";
import { resolveConnection } from "../connect/options";
import { captureRoots, discover, type ServerInfo } from "../discover/server";
import { preflight } from "../discover/preflight";
import { BackupStages } from "../locks/backup-stage";
import { SafeSlave } from "../locks/safe-slave";
import { shimMissingHint } from "../shim/attach-hint";
import { readCoordinates, type Coordinates } from "./coordinates";
import { checkDest, createDest, existingAncestor } from "../dest";
import { writeServerMetadata } from "./metadata";
import { Session, type SessionRoot } from "./session";
import { recopyUnderLock } from "./recopy";
import { liveRedoCopy } from "./innodb-redo";
import { copyPaced, type Pacing } from "./paced-copy";
import { BinlogWriteBehind } from "./binlog-write-behind";
import { join } from "node:path";
import { isDir } from "../shim/ffi";
import { tablesTouched } from "../ddl/from-journal";
import { ddlDisagreements, writeDdlLog } from "../ddl/hb-log";
import { parseServerDdlLog, type ServerDdl } from "../ddl/server-log";
import { debugSync } from "./debug-sync";
import { connectionId, LongQueryKiller, type KillLongQueriesOptions } from "../locks/kill-long-queries";

// Files the server writes all through a backup, copied after everything else: their writes until then are
// read by the copy instead of journaled. The redo log first: its window closes whole when its copy starts
// (innodb-redo.ts), so its writes are journaled while the others copy. Then InnoDB's system tablespace (its
// doublewrite buffer is near the front, read first) and the undo tablespaces.
function hotFiles(redoLog: string): (absPath: string) => number | undefined {
  return (p) => (p === redoLog ? 0 : /\/(ibdata\d+|undo\d+)$/.test(p) ? 1 : undefined);
}

export interface ServerBackupOptions {
  dest: string;
  connection: ConnectionFlags;
  throttleBytesPerSec: number;
  throttleAuto: boolean; // pace the copy by what it costs the server (src/copy/pacer.ts)
  parallel: number;
  gentle: boolean; // copy at low CPU and I/O priority
  ringBytes: number;
  lockWaitTimeoutSec: number;
  killLongQueries?: KillLongQueriesOptions; // --kill-long-queries-timeout/--kill-long-query-type
  slaveInfo: boolean;
  safeSlaveBackup: boolean;
  safeSlaveBackupTimeoutSec: number;
  include: string[];
  exclude: string[];
  argv: string[]; // for xtrabackup_info's tool_command (password masked there)
  noSpaceCheck?: boolean;
  watch?: (s: Session) => void; // the stream's tick hook (src/stream/live.ts)
}

export interface ServerBackupResult {
  dest: string;
  serverVersion: string;
  files: number;
  dirs: number;
  bytesCopied: number;
  copyMs: number;
  journalBytes: number;
  journalRecords: number;
  writesLeftOut: number; // writes the copy read, so not journaled
  bytesLeftOut: number;
  ringWaits: number;
  lockTimeMs: number;
  binlog?: { file: string; position: string; gtid: string };
  lsn: string;
  ddl: number; // lines in hb_ddl.log
  ddlDisagreements: string[];
  autoThrottle?: { cycles: number; holds: number; lastRate: number };
  durationMs: number;
}

/** Database directories under the datadir, by ident: listed by the copier or created during the backup. */
function databaseDirs(session: Session, datadirIdent: string): Map<string, string> {
  const dbs = new Map<string, string>();
  for (const l of session.walker.listings) if (l.ident === datadirIdent) for (const e of l.entries) if (isDir(e.mode)) dbs.set(e.ident, e.name);
  for (const e of session.events) if (e.bind && e.parent === datadirIdent && isDir(e.mode)) dbs.set(e.ident, e.name);
  return dbs;
}

/** What is never part of a backup, relative to the datadir (XtraBackup's defaults). */
export function defaultExcludes(info: ServerInfo): string[] {
  const rel = (p: string | undefined) => {
    if (!p) return undefined;
    const r = relative(info.datadir, p);
    return r && !r.startsWith("..") ? r : undefined;
  };
  const out = ["**/#sql*", "ibtmp*", "*.sock", "*.pid"];
  for (const base of [info.logBinBasename, info.relayLogBasename].map(rel)) if (base) out.push(`${base}.[0-9]*`, `${base}.index`);
  for (const file of [info.pidFile, info.errorLog, info.generalLogFile, info.slowLogFile].map(rel)) if (file) out.push(file);
  return out;
}

function rootsOf(info: ServerInfo): SessionRoot[] {
  // The datadir is DEST itself; any directory outside it (InnoDB redo or undo, Aria logs) gets its own
  // top-level hb_root<N> in DEST, which restore puts back where backup-my.cnf says.
  return captureRoots(info).map((source, i) => ({ source, dest: source === info.datadir ? "" : `hb_root${i}` }));
}

export async function runServerBackup(o: ServerBackupOptions): Promise<ServerBackupResult> {
  const started = performance.now();
  const startedAt = new Date();
  const db = await connect(resolveConnection(o.connection));
  try {
    const info = await discover(db);
    const roots = rootsOf(info);
    // Every check before anything is written: a refused backup leaves no DEST behind to block the next try.
    const dest = checkDest(o.dest, roots.map((r) => r.source));
    for (const w of await preflight(db, info, existingAncestor(dest), { slaveInfo: o.slaveInfo, noSpaceCheck: o.noSpaceCheck })) log.warn(w);
    let capture: Capture;
    try {
      capture = Capture.attach(info.pid);
    } catch (e) {
      if (e instanceof HbError && e.kind === "shim") throw new HbError("shim", e.message, shimMissingHint(info));
      throw e;
    }
    // Fail fast when another backup runs: BACKUP STAGE START would otherwise wait --lock-wait-timeout for it.
    const running = capture.status();
    if (running.state === "active" && running.heartbeatAgeMs < 5000) {
      capture.detach();
      throw new HbError("capture", `another backup is running on this server (hb pid ${running.ownerPid})`, "wait for it to finish");
    }
    const redo = liveRedoCopy(info.innodbLogGroupHomeDir);
    let session: Session;
    try {
      createDest(dest, o.dest);
      session = new Session({
        ...o,
        dest,
        capture,
        roots,
        include: o.include,
        exclude: [...defaultExcludes(info), ...o.exclude],
        copyRanges: redo.ranges,
        partial: redo.partial,
        copyLast: hotFiles(redo.path),
        serverMustLive: true,
      });
    } catch (e) {
      capture.detach();
      throw e;
    }
    const stages = new BackupStages(db, o.lockWaitTimeoutSec);
    const safeSlave = o.safeSlaveBackup ? new SafeSlave(db, o.safeSlaveBackupTimeoutSec) : undefined;
    let coords: Coordinates | undefined;
    let lockTimeMs = 0;
    let stats: ReturnType<Session["stats"]>;
    let ddl: ServerDdl[] = [];
    let second: Awaited<ReturnType<typeof db.second>> | undefined;
    let disagreements: string[] = [];
    let pacing: Pacing | undefined;
    const binlog = new BinlogWriteBehind(db, info.logBinBasename);
    try {
      await stages.start(); // one backup at a time; DDL logging starts
      step("START");
      session.begin();
      redo.captureBegan(db);
      step("capture began");
      binlog.start();
      debugSync("stage-start");
      log.info(`capture began on ${info.flavor} ${info.version} (pid ${info.pid}); copying ${roots.map((r) => r.source).join(", ")}`);
      pacing = await copyPaced(session, capture, db, o.throttleAuto, o.gentle);
      step("copied");
      // BACKUP STAGE FLUSH closes the server's unused tables, and Aria's close fsyncs: left to it, that fsync
      // waits for the copy to leave the disk's cache while new non-transactional writes wait for the stage.
      await session.syncCopied();
      step("copy on disk");
      await safeSlave?.stopSqlThread();
      second = await db.second();
      if (o.killLongQueries) stages.killer = new LongQueryKiller(second, [await connectionId(db), await connectionId(second)], o.killLongQueries);
      await stages.enter("FLUSH");
      step("FLUSH");
      debugSync("stage-flush");
      await session.copyAll(); // whatever DDL finished meanwhile
      await binlog.presync();
      step("binlog synced");
      const lockStart = performance.now();
      await stages.enter("BLOCK_DDL");
      step("BLOCK_DDL");
      debugSync("stage-block-ddl");
      await stages.enter("BLOCK_COMMIT");
      step("BLOCK_COMMIT");
      debugSync("stage-block-commit");
      coords = await readCoordinates(db, second, { slaveInfo: o.slaveInfo });
      ddl = parseServerDdlLog(join(info.datadir, "ddl.log")); // complete: DDL is blocked from BLOCK_DDL on
      step("coordinates");
      session.end();
      step("capture ended");
      debugSync("capture-end");
      await recopyUnderLock(session);
      await stages.end();
      step("END");
      lockTimeMs = Math.round(performance.now() - lockStart);
      await safeSlave?.restart();
      log.info(`lock held ${lockTimeMs} ms (BLOCK_DDL to END)`);
      stats = session.stats();
      const dbs = databaseDirs(session, session.rootIdent(roots.findIndex((r) => r.dest === "")));
      disagreements = ddlDisagreements(ddl, tablesTouched(session.events, (parent) => dbs.get(parent)));
      for (const d of disagreements) log.warn(`DDL log: ${d}`);
      writeDdlLog(dest, ddl);
      writeServerMetadata(dest, { info, coords, lockTimeMs, argv: o.argv, startedAt, stats });
      debugSync("metadata");
      await session.finish("mariadb");
      step("synced");
    } finally {
      await binlog.stop();
      await stages.end().catch(() => {}); // a disconnect releases it anyway
      await second?.close();
      await safeSlave?.restart().catch((e) => log.error(`could not restart the replica's SQL thread: ${e.message}`));
      session.close();
      capture.detach();
    }
    const result: ServerBackupResult = {
      dest,
      serverVersion: info.version,
      ...stats,
      lockTimeMs,
      binlog: coords!.binlog,
      lsn: coords!.lsn,
      ddl: ddl.length,
      ddlDisagreements: disagreements,
      autoThrottle: pacing,
      durationMs: Math.round(performance.now() - started),
    };
    log.success(`backup complete: ${stats.files} files, ${stats.bytesCopied} bytes, journal ${stats.journalBytes} bytes (${stats.bytesLeftOut} of writes left out: the copy read them), lock ${lockTimeMs} ms`);
    return result;
  } finally {
    await db.close();
  }
}

