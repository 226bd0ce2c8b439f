// hb prepare: turn a finished backup into the exact tree it captured (docs/journal.md "Prepare"). Everything
// that can be wrong with the backup is found before DEST is marked `preparing` and touched. Then it runs in
// phases, each recorded done once its work is on disk; killed anywhere, prepare run again goes on after the
// last phase recorded and redoes the one it was in (docs/prepare.md, "Interrupted and run again").
import { resolve } from "node:path";
import { checkDestLayout, checkState, readManifest, workingPath, writeState } from "../dest";
import { refuseInUse } from "../dest/in-use";
import { HbError } from "../errors";
import { type Crc, fastCrc } from "../journal/crc-native";
import { validateJournal } from "../journal/reader";
import { log, step } from "../log";
import { recordHashes } from "../verify/hashes";
import { checkKillPoint, killPoint } from "./fault";
import { stopLeftover } from "./leftover";
import { buildTree, checkCopies, moveTree, replayTree, treeTop } from "./materialize";
import { type Plan, planPrepare } from "./plan";
import { clearPhaseDone, readPhaseDone, writePhaseDone } from "./progress";
import { recoverDatadir } from "./recover";
import type { ReplayStats } from "./replay";
import { markFullPrepared } from "./server";
import { placeServerFiles } from "./placement";
import { closeCsvTables } from "./csv-meta";
import { checkRedoKey } from "./plugins";
import type { RecoveryServer } from "./server";
import { checkRecoveryConfinable } from "../server/confined";
import type { ManifestRoot } from "../dest";
import type { Unchanged } from "./unchanged";

export interface PrepareOptions {
  json?: boolean;
  quiet?: boolean;
  recoveryServer?: RecoveryServer; // the mariadbd that runs crash recovery on DEST (src/prepare/server.ts), if any
  recoveryFollows?: boolean; // no use carrying CRCs through the replay: the default is whether recovery runs
}

export interface PrepareResult {
  dest: string;
  files: number; // names of regular files (hard links count once per name)
  dirs: number; // directories under DEST
  symlinks: number;
  records: number; // journal records (END not counted)
  journalBytes: number;
  replayedBytes: number; // WRITE bytes applied to the tree by this run
  durationMs: number;
  alreadyPrepared: boolean;
  resumedAfter?: string; // the last phase an interrupted prepare had finished
  recovered?: boolean; // server backups: whether crash recovery ran
  recoveryMs?: number;
  unchanged: Unchanged; // files still byte for byte their copies, for the hash list (not output)
}

/** What the phases share. */
interface Job {
  dest: string;
  plan: Plan;
  journal: string;
  crc?: Crc; // carry CRCs through the replay: only when no earlier run replayed anything
  unchanged?: Unchanged; // files whose CRC is known: only when no earlier run changed anything
  roots: ManifestRoot[];
  isServer: boolean; // a server backup (manifest kind "mariadb"), not a raw one
  recovery?: RecoveryServer;
  replay?: ReplayStats;
  recoveryMs?: number;
}

/** In order; a phase must give the same result when run again after a kill anywhere inside it. */
const PHASES: { name: string; run: (job: Job) => void | Promise<void> }[] = [
  { name: "tree", run: (j) => buildTree(j.dest, j.plan) },
  { name: "replay", run: (j) => void (j.replay = replayTree(j.dest, j.plan, j.journal, j.crc, j.unchanged)) },
  { name: "move", run: (j) => moveTree(j.dest, j.plan) },
  { name: "place", run: (j) => void placeServerFiles(j.dest, j.roots) }, // InnoDB's and Aria's files to their standard places
  { name: "csv", run: (j) => closeCsv(j) },
  {
    name: "recover",
    run: async (j) => {
      if (!j.recovery) return;
      checkRedoKey(j.dest, j.recovery.defaultsExtraFile);
      j.recoveryMs = (await recoverDatadir(j.dest, j.recovery.path, treeTop(j.plan), j.recovery.extraArgs)).durationMs;
    },
  },
  { name: "metadata", run: (j) => markFullPrepared(j.dest) },
  { name: "hashes", run: (j) => void recordHashes(j.dest, j.unchanged) }, // what hb verify checks, after recovery's changes
];

/** CSV tables open for writing when the capture ended, marked closed as a clean close would (csv-meta.ts). */
function closeCsv(j: Job): void {
  if (j.isServer) for (const t of closeCsvTables(j.dest)) log.info(`CSV table ${t}: marked closed (it was open for writing when the capture ended)`);
}

export async function prepareBackup(destArg: string, opts: PrepareOptions = {}): Promise<PrepareResult> {
  const started = performance.now();
  const dest = resolve(destArg);
  const info = (msg: string) => {
    if (!opts.quiet) log.info(msg);
  };
  checkKillPoint();
  const result: PrepareResult = {
    dest,
    files: 0,
    dirs: 0,
    symlinks: 0,
    records: 0,
    journalBytes: 0,
    replayedBytes: 0,
    durationMs: 0,
    alreadyPrepared: false,
    unchanged: new Map(),
  };
  const state = checkState(dest);
  if (state === "prepared") {
    info(`${dest} is already prepared; nothing to do`);
    return { ...result, alreadyPrepared: true, durationMs: Math.round(performance.now() - started) };
  }
  await stopLeftover(dest); // before anything else touches DEST
  refuseInUse(dest, "prepare");

  const manifest = readManifest(dest);
  step("manifest read");
  const crc = await fastCrc();
  const journal = validateJournal(workingPath(dest, "journal"), crc);
  info(`journal valid: ${journal.records} records, ${journal.bytes} bytes`);
  step("journal validated");
  const plan = planPrepare(manifest, journal.namespace);
  const resumed = state === "preparing";
  const done = resumed ? readPhaseDone(dest) : undefined;
  const first = done === undefined ? 0 : PHASES.findIndex((p) => p.name === done) + 1;
  if (first === 0 && done !== undefined) throw new HbError("damaged", `${dest}: an earlier prepare recorded an unknown phase "${done}"`, "take a new backup");
  if (resumed) {
    result.resumedAfter = done ?? "none";
    log.warn(`an earlier prepare of ${dest} was interrupted${done ? ` after its ${done} phase` : ""}: finishing it`);
  } else {
    checkCopies(dest, plan); // once moved, the copies are no longer where the manifest says
    checkDestLayout(dest, treeTop(plan));
  }
  for (const path of plan.skipped) log.warn(`skipped ${path}: not a file, directory or symlink`);
  step("planned");
  if (!resumed) {
    if (opts.recoveryServer) checkRecoveryConfinable(dest);
    clearPhaseDone(dest);
    writeState(dest, "preparing");
  }
  const job: Job = {
    dest,
    plan,
    roots: manifest.roots,
    isServer: manifest.kind === "mariadb",
    journal: journal.path,
    crc: resumed || (opts.recoveryFollows ?? opts.recoveryServer !== undefined) ? undefined : crc,
    unchanged: resumed ? undefined : result.unchanged,
    recovery: opts.recoveryServer,
  };
  for (const phase of PHASES.slice(first)) {
    killPoint("phase");
    await phase.run(job);
    killPoint("done");
    writePhaseDone(dest, phase.name);
    step(phase.name);
  }
  writeState(dest, "prepared");
  clearPhaseDone(dest);

  const replay = job.replay ?? { records: 0, bytes: 0, kinds: { writes: 0, truncates: 0, fallocates: 0 } };
  Object.assign(result, {
    files: plan.files.reduce((n, f) => n + f.paths.length, 0),
    dirs: plan.dirs.filter((d) => d.path !== "").length,
    symlinks: plan.symlinks.length,
    records: journal.records,
    journalBytes: journal.bytes,
    replayedBytes: replay.bytes,
    durationMs: Math.round(performance.now() - started),
    ...(manifest.kind === "mariadb" ? { recovered: job.recovery !== undefined, recoveryMs: job.recoveryMs } : {}),
  });
  if (!opts.quiet)
    log.success(
      `prepared ${dest}: ${result.files} files, ${result.dirs} directories, ${result.symlinks} symlinks; ` +
        `${replay.records} records replayed (${replay.kinds.writes} writes of ${replay.bytes} bytes, ` +
        `${replay.kinds.truncates} truncates, ${replay.kinds.fallocates} fallocates) in ${result.durationMs} ms`,
    );
  return result;
}
