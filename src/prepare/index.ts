// hb prepare: turn a finished backup into the exact tree it captured (docs/journal.md "Prepare"). Everything
// that can be wrong with the backup is found before DEST is marked `preparing` and touched.
import { resolve } from "node:path";
import { checkDestLayout, checkState, readManifest, workingPath, writeState } from "../dest";
import { fastCrc } from "../journal/crc-native";
import { validateJournal } from "../journal/reader";
import { log, step } from "../log";
import { checkCopies, materialize, treeTop } from "./materialize";
import { planPrepare } from "./plan";
import type { Unchanged } from "./unchanged";

export interface PrepareOptions {
  json?: boolean;
  quiet?: boolean;
  recoveryFollows?: boolean; // crash recovery rewrites the files after: no use carrying their CRCs through the replay
}

export interface PrepareResult {
  dest: string;
  files: number; // names of regular files (hard links count once per name)
  dirs: number; // directories under DEST
  symlinks: number;
  records: number; // journal records (END not counted)
  journalBytes: number;
  replayedBytes: number; // WRITE bytes applied to the tree
  durationMs: number;
  alreadyPrepared: boolean;
  unchanged: Unchanged; // files still byte for byte their copies, for the hash list (not output)
}

export async function prepareBackup(destArg: string, opts: PrepareOptions = {}): Promise<PrepareResult> {
  const started = performance.now();
  const dest = resolve(destArg);
  const info = (msg: string) => {
    if (!opts.quiet) log.info(msg);
  };
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
  if (checkState(dest) === "prepared") {
    info(`${dest} is already prepared; nothing to do`);
    return { ...result, alreadyPrepared: true, durationMs: Math.round(performance.now() - started) };
  }

  const manifest = readManifest(dest);
  step("manifest read");
  const crc = await fastCrc();
  const journal = validateJournal(workingPath(dest, "journal"), crc);
  info(`journal valid: ${journal.records} records, ${journal.bytes} bytes`);
  step("journal validated");
  const plan = planPrepare(manifest, journal.namespace);
  checkCopies(dest, plan);
  checkDestLayout(dest, treeTop(plan));
  for (const path of plan.skipped) log.warn(`skipped ${path}: not a file, directory or symlink`);

  step("planned");
  writeState(dest, "preparing");
  const replay = materialize(dest, plan, journal.path, opts.recoveryFollows ? undefined : crc, result.unchanged);
  step("materialized");
  writeState(dest, "prepared");

  Object.assign(result, {
    files: plan.files.reduce((n, f) => n + f.paths.length, 0),
    dirs: plan.dirs.filter((d) => d.path !== "").length,
    symlinks: plan.symlinks.length,
    records: journal.records,
    journalBytes: journal.bytes,
    replayedBytes: replay.bytes,
    durationMs: Math.round(performance.now() - started),
  });
  if (!opts.quiet)
    log.success(
      `prepared ${dest}: ${result.files} files, ${result.dirs} directories, ${result.symlinks} symlinks; ` +
        `${replay.records} records replayed (${replay.bytes} bytes) in ${result.durationMs} ms`,
    );
  return result;
}
