// hb restore s3://…/NAME --datadir D (docs/s3.md "Restore, extract, verify"): the backup is downloaded and
// checked into a scratch directory inside D, prepared there as `hb prepare` does, and its files moved into
// place; the scratch directory goes whatever happens. Nothing is written outside D.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { prepareWhole } from "../prepare/whole";
import { type RestoreResult, restoreBackup } from "../restore";
import type { Store } from "./client";
import type { S3Location } from "./layout";
import { type ReadOptions, extractFromS3, fetchManifest } from "./read";

export interface S3RestoreOptions extends ReadOptions {
  datadir: string;
  forceNonEmpty: boolean;
}

/** `hb prepare DIR`, crash recovery when a matching server is here. */
async function prepareDownloaded(dir: string): Promise<void> {
  await prepareWhole(dir, { recover: "auto", quiet: true });
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {}
}

export async function restoreFromS3(store: Store, loc: S3Location, o: S3RestoreOptions): Promise<RestoreResult & { url: string }> {
  const datadir = resolve(o.datadir);
  const created = !existsSync(datadir);
  if (!created && !statSync(datadir).isDirectory()) throw new HbError("destination", `${datadir} exists and is not a directory`);
  if (!created && readdirSync(datadir).length && !o.forceNonEmpty)
    throw new HbError("destination", `${datadir} is not empty`, "restore into an empty directory, or pass --force-non-empty-directories");
  const found = await fetchManifest(store, loc); // before anything is created
  try {
    mkdirSync(datadir, { mode: 0o750 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new HbError("destination", `cannot create ${datadir}: ${(e as Error).message}`);
  }
  const scratch = mkdtempSync(join(datadir, ".hb-s3-restore-"));
  let placed = false;
  try {
    await extractFromS3(store, loc, scratch, o, found);
    log.info("preparing the downloaded backup");
    await prepareDownloaded(scratch);
    const result = restoreBackup(scratch, { datadir, move: true, forceNonEmpty: true });
    placed = true;
    return { ...result, url: `s3://${loc.bucket}/${loc.path}` };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (!placed && created) removeIfEmpty(datadir); // never hides the error that got here
  }
}
