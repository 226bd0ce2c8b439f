// hb backup s3://BUCKET/PREFIX/NAME (docs/s3.md): the backup is taken as `hb backup DIR` takes it, into a
// private staging directory; then it goes up as one stream (docs/stream.md) cut into objects, and the
// manifest is written last. Until the manifest is there the backup is incomplete: hb never restores from it,
// and hb list shows it as such. A failed or interrupted upload removes what it wrote, as far as the store lets it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";
import { StreamWriter, backupChunks } from "../stream";
import type { Store } from "./client";
import { backupBase, manifestKey, type S3Location } from "./layout";
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest } from "./manifest";
import type { TransferOptions } from "./options";
import { Uploader } from "./uploader";

export interface S3BackupOptions {
  transfer: TransferOptions;
  compressLevel?: number;
  key?: Uint8Array;
  /** Where the staging directory is made (default $TMPDIR, else /tmp). */
  stagingParent?: string;
}

export interface S3BackupResult {
  url: string;
  objects: number;
  bytes: number;
  uploadMs: number;
  backup: Record<string, unknown>;
}

/** Refuses a NAME that holds anything: a manifest, objects, or multipart uploads in progress. */
export async function refuseExisting(store: Store, base: string): Promise<void> {
  const [{ objects }, uploads] = await Promise.all([store.list(base), store.listMultipart(base)]);
  if (!objects.length && !uploads.length) return;
  const what = objects.some((o) => o.key === manifestKey(base)) ? "a complete backup" : "an incomplete backup";
  throw new HbError("destination", `s3://${store.config.bucket}/${base} already holds ${what}: hb never overwrites one`, "choose another name; hb list shows what is there");
}

/** Streams the backup directory `dir` up into objects under `base`, then writes the manifest. */
export async function uploadBackup(store: Store, base: string, dir: string, o: S3BackupOptions, meta: { name: string; startedAt: Date; backup: Record<string, unknown> }) {
  const started = performance.now();
  const uploader = new Uploader(store, base, o.transfer);
  const writer = new StreamWriter({ compressLevel: o.compressLevel, key: o.key, parallel: o.transfer.parallel });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let objects: Manifest["objects"];
  try {
    await writer.writeTo(backupChunks(dir), {
      write: (bytes) => {
        if (stop.signal.aborted) throw new HbError("interrupted", "interrupted: the backup was not uploaded whole");
        return uploader.write(bytes);
      },
      end: async () => {},
    });
    objects = await uploader.finish();
  } catch (error) {
    log.warn(`the upload failed: removing what it wrote under s3://${store.config.bucket}/${base}`);
    await uploader.abandon();
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    name: meta.name,
    startedAt: meta.startedAt.toISOString(),
    completedAt: new Date().toISOString(),
    partSize: o.transfer.partSize,
    content: { format: "hb-stream-1", compression: o.compressLevel === undefined ? "none" : "zstd", encrypted: o.key !== undefined },
    bytes: objects.reduce((n, x) => n + x.size, 0),
    objects,
    backup: meta.backup,
  };
  await store.putObject(manifestKey(base), new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
  return { objects: objects.length, bytes: manifest.bytes, uploadMs: Math.round(performance.now() - started) };
}

/** The whole of hb backup s3://…: check the name is free, back up into staging, upload, clean up. */
export async function backupToS3(
  store: Store,
  loc: S3Location & { name: string },
  o: S3BackupOptions,
  takeBackup: (dir: string) => Promise<Record<string, unknown>>,
): Promise<S3BackupResult> {
  const base = backupBase(loc.path);
  const url = `s3://${loc.bucket}/${loc.path}`;
  await refuseExisting(store, base);
  const startedAt = new Date();
  const staging = mkdtempSync(join(resolve(o.stagingParent ?? process.env.TMPDIR ?? tmpdir()), "hb-s3-"));
  try {
    const dir = join(staging, "backup");
    const backup = await takeBackup(dir);
    log.info(`uploading the backup to ${url}`);
    const up = await uploadBackup(store, base, dir, o, { name: loc.name, startedAt, backup });
    log.success(`${url}: ${up.objects} objects, ${up.bytes} bytes, manifest written`);
    return { url, ...up, backup };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
