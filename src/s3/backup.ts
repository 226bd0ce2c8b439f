// hb backup s3://BUCKET/PREFIX/NAME (docs/s3.md): the backup's stream, as `hb backup --stream` makes it while
// the backup is taken (docs/stream.md), is the uploader's sink: cut into objects and uploaded as it comes, the
// manifest written last. Until the manifest is there the backup is incomplete: hb never restores from it, and
// hb list shows it as such. A failed or interrupted upload removes what it wrote, as far as the store lets it.
import { HbError } from "../errors";
import { log } from "../log";
import type { Session } from "../backup/session";
import type { StreamBackupOptions } from "../stream/backup";
import type { Store } from "./client";
import { backupBase, manifestKey, type S3Location } from "./layout";
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest } from "./manifest";
import type { TransferOptions } from "./options";
import { Uploader } from "./uploader";

export interface S3BackupResult {
  url: string;
  objects: number;
  bytes: number;
  backup: Record<string, unknown>;
}

type TakeBackup = (dest: string, watch: (s: Session) => void) => Promise<Record<string, unknown>>;

/** Refuses a NAME that holds anything: a manifest, objects, or multipart uploads in progress. */
async function refuseExisting(store: Store, base: string): Promise<void> {
  const [{ objects }, uploads] = await Promise.all([store.list(base), store.listMultipart(base)]);
  if (!objects.length && !uploads.length) return;
  const what = objects.some((o) => o.key === manifestKey(base)) ? "a complete backup" : "an incomplete backup";
  throw new HbError("destination", `s3://${store.config.bucket}/${base} already holds ${what}: hb never overwrites one`, "choose another name; hb list shows what is there");
}

/** SIGINT/SIGTERM once the backup is taken and its tail still uploads: the upload stops at its next write. */
function interruptible() {
  let signal: string | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    signal = s;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    check() {
      if (signal) throw new HbError("interrupted", `interrupted by ${signal}: the backup was not uploaded whole`);
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

export async function backupToS3(
  store: Store,
  loc: S3Location & { name: string },
  o: { transfer: TransferOptions; stream: StreamBackupOptions },
  takeBackup: TakeBackup,
): Promise<S3BackupResult> {
  const base = backupBase(loc.path);
  const url = `s3://${loc.bucket}/${loc.path}`;
  await refuseExisting(store, base);
  const startedAt = new Date();
  const uploader = new Uploader(store, base, o.transfer);
  const interrupt = interruptible();
  let objects: Manifest["objects"] = [];
  let result: Record<string, unknown>;
  log.info(`uploading the backup to ${url} as it is taken`);
  try {
    const { streamBackup } = await import("../stream/backup");
    const sink = {
      write: (bytes: Uint8Array) => {
        interrupt.check();
        return uploader.write(bytes);
      },
      end: async () => {
        objects = await uploader.finish();
      },
    };
    result = await streamBackup({ ...o.stream, sink }, takeBackup);
  } catch (error) {
    log.warn(`the backup did not finish: removing what it uploaded under ${url}`);
    await uploader.abandon();
    throw error;
  } finally {
    interrupt.dispose();
  }
  const { stream, ...backup } = result as Record<string, unknown> & { stream: { compressed: boolean; encrypted: boolean } };
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    name: loc.name,
    startedAt: startedAt.toISOString(),
    completedAt: new Date().toISOString(),
    partSize: o.transfer.partSize,
    content: { format: "hb-stream-1", compression: stream.compressed ? "zstd" : "none", encrypted: stream.encrypted },
    bytes: objects.reduce((n, x) => n + x.size, 0),
    objects,
    backup,
  };
  try {
    await store.putObject(manifestKey(base), new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
  } catch (error) {
    // The PUT may have landed though its answer was lost: the manifest goes first, the objects only after.
    const gone = await store.deleteObject(manifestKey(base)).then(() => true, () => false);
    log.warn(gone ? `the manifest could not be written: removing the objects under ${url}` : `the manifest's fate is unknown: ${url} is left as it is (hb verify tells)`);
    if (gone) await uploader.abandon();
    throw error;
  }
  log.success(`${url}: ${objects.length} objects, ${manifest.bytes} bytes, manifest written`);
  return { url, objects: objects.length, bytes: manifest.bytes, backup };
}
