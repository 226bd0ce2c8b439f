// hb list s3://BUCKET/PREFIX (docs/s3.md "Listing and removing incomplete backups"): every NAME under the
// prefix, complete (its manifest says what it holds) or incomplete (objects or multipart uploads without a
// manifest: an upload still running, failed or killed), and the removal of incomplete ones.
import { log } from "../log";
import type { ListedUpload, Store } from "./client";
import { manifestKey, type S3Location } from "./layout";
import { parseManifest } from "./manifest";

export interface ListedBackup {
  name: string;
  complete: boolean;
  /** Bytes of the backup's objects (the manifest's count when complete). */
  bytes: number;
  objects: number;
  /** Multipart uploads started under the name and neither completed nor aborted. */
  uploads: number;
  startedAt?: string;
  completedAt?: string;
  /** When the store last saw a write under the name. */
  lastWriteAt?: string;
  binlog?: unknown;
  compression?: string;
  encrypted?: boolean;
}

const prefixOf = (loc: S3Location) => (loc.path ? `${loc.path}/` : "");

export async function listBackups(store: Store, loc: S3Location): Promise<ListedBackup[]> {
  const top = prefixOf(loc);
  const [{ prefixes }, uploads] = await Promise.all([store.list(top, "/"), store.listMultipart(top)]);
  const uploadsByName = new Map<string, ListedUpload[]>();
  for (const u of uploads) {
    const name = u.key.slice(top.length).split("/")[0]!;
    uploadsByName.set(name, [...(uploadsByName.get(name) ?? []), u]);
  }
  const names = new Set([...prefixes.map((p) => p.slice(top.length).replace(/\/$/, "")), ...uploadsByName.keys()]);
  const listed = await Promise.all(
    [...names].sort().map(async (name): Promise<ListedBackup> => {
      const base = `${top}${name}/`;
      const pending = uploadsByName.get(name) ?? [];
      const [manifestBytes, { objects }] = await Promise.all([store.getIfExists(manifestKey(base)), store.list(base)]);
      const times = [...objects.map((o) => o.lastModified.getTime()), ...pending.map((u) => u.initiated.getTime())];
      const lastWriteAt = times.length ? new Date(Math.max(...times)).toISOString() : undefined;
      if (!manifestBytes) {
        return { name, complete: false, bytes: objects.reduce((n, o) => n + o.size, 0), objects: objects.length, uploads: pending.length, lastWriteAt };
      }
      const m = parseManifest(manifestBytes, `s3://${store.config.bucket}/${manifestKey(base)}`);
      return {
        name,
        complete: true,
        bytes: m.bytes,
        objects: m.objects.length,
        uploads: pending.length,
        startedAt: m.startedAt,
        completedAt: m.completedAt,
        lastWriteAt,
        binlog: m.backup.binlog,
        compression: m.content.compression,
        encrypted: m.content.encrypted,
      };
    }),
  );
  return listed;
}

/**
 * Removes the incomplete backups whose last write is at least `minAgeMs` old (a younger one may be an upload
 * still running): aborts their multipart uploads and deletes their objects. Returns the names removed.
 */
export async function removeIncomplete(store: Store, loc: S3Location, minAgeMs: number): Promise<string[]> {
  const removed: string[] = [];
  for (const b of await listBackups(store, loc)) {
    if (b.complete) continue;
    const age = b.lastWriteAt ? Date.now() - Date.parse(b.lastWriteAt) : Number.POSITIVE_INFINITY;
    if (age < minAgeMs) {
      log.info(`${b.name}: incomplete but last written ${Math.round(age / 1000)} s ago; left (--min-age)`);
      continue;
    }
    const base = `${prefixOf(loc)}${b.name}/`;
    for (const u of await store.listMultipart(base)) await store.abortMultipart(u.key, u.uploadId);
    const { objects } = await store.list(base);
    if (objects.some((o) => o.key === manifestKey(base))) continue; // completed since it was listed
    for (const o of objects) await store.deleteObject(o.key);
    log.info(`${b.name}: removed ${b.objects} objects and ${b.uploads} multipart uploads`);
    removed.push(b.name);
  }
  return removed;
}
