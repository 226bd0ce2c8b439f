// Reading a backup back from the store (docs/s3.md "Restore, extract, verify"): only a backup with its
// manifest is read; every range is checked against the manifest before its bytes are used, then the stream
// reader checks every chunk (CRC32C, order, trailer; authenticity when encrypted).
import { HbError } from "../errors";
import { log } from "../log";
import { extractStream, readStream, type ExtractResult } from "../stream";
import type { Store } from "./client";
import { download } from "./downloader";
import { backupBase, manifestKey, type S3Location } from "./layout";
import { type Manifest, parseManifest } from "./manifest";

export interface ReadOptions {
  key?: Uint8Array;
  parallel: number;
}

/** The manifest of a complete backup; a NAME without one is incomplete and is never read from. */
export async function fetchManifest(store: Store, loc: S3Location): Promise<{ manifest: Manifest; base: string }> {
  const base = backupBase(loc.path);
  const where = `s3://${loc.bucket}/${manifestKey(base)}`;
  const bytes = await store.getIfExists(manifestKey(base));
  if (!bytes) {
    const [{ objects }, uploads] = await Promise.all([store.list(base), store.listMultipart(base)]);
    if (objects.length || uploads.length) throw new HbError("damaged", `s3://${loc.bucket}/${loc.path} has no manifest: the backup is incomplete and is never restored from`, "hb list shows incomplete backups; --remove-incomplete removes them");
    throw new HbError("usage", `there is no backup at s3://${loc.bucket}/${loc.path}`);
  }
  return { manifest: parseManifest(bytes, where), base };
}

/** Downloads the backup into DIR, the directory `hb backup DIR` would have written (hb extract s3://…). */
export async function extractFromS3(
  store: Store,
  loc: S3Location,
  dir: string,
  o: ReadOptions,
  found?: { manifest: Manifest; base: string },
): Promise<ExtractResult & { objects: number }> {
  const { manifest, base } = found ?? (await fetchManifest(store, loc));
  log.info(`downloading ${manifest.objects.length} objects (${manifest.bytes} bytes) from s3://${loc.bucket}/${loc.path}`);
  const result = await extractStream(download(store, manifest, base, o.parallel), dir, { key: o.key, parallel: o.parallel });
  return { ...result, objects: manifest.objects.length };
}

export interface S3VerifyResult {
  url: string;
  objects: number;
  bytes: number;
  /** Chunks opened and checked by the stream reader (0 when encrypted and no key was given). */
  chunks: number;
  problems: string[];
}

/** Checks every object against the manifest and, when it can read them, every chunk of the stream. Exit 11 on a difference. */
export async function verifyS3(store: Store, loc: S3Location, o: ReadOptions): Promise<S3VerifyResult> {
  const { manifest, base } = await fetchManifest(store, loc);
  const url = `s3://${loc.bucket}/${loc.path}`;
  const problems: string[] = [];
  const listed = new Map((await store.list(`${base}data/`)).objects.map((x) => [x.key.slice(base.length), x.size]));
  for (const x of manifest.objects) {
    const size = listed.get(x.key);
    if (size === undefined) problems.push(`${x.key} is missing`);
    else if (size !== x.size) problems.push(`${x.key} is ${size} bytes, the manifest says ${x.size}`);
    listed.delete(x.key);
  }
  for (const key of listed.keys()) problems.push(`${key} is not in the manifest`);
  let chunks = 0;
  if (!problems.length) {
    const bytes = download(store, manifest, base, o.parallel);
    try {
      if (manifest.content.encrypted && !o.key) {
        log.warn("the backup is encrypted and no --encrypt-key-file was given: objects are checked against the manifest, chunks are not opened");
        for await (const _ of bytes);
      } else for await (const _ of readStream(bytes, { key: o.key, parallel: o.parallel })) chunks++;
    } catch (error) {
      if (!(error instanceof HbError) || error.kind !== "damaged") throw error;
      problems.push(error.message);
    }
  }
  for (const p of problems) log.error(p);
  if (problems.length) throw new HbError("verify", `${url}: ${problems.length} difference(s) found (first: ${problems[0]})`);
  log.success(`${url}: ${manifest.objects.length} objects, ${manifest.bytes} bytes${chunks ? `, ${chunks} chunks` : ""} verified`);
  return { url, objects: manifest.objects.length, bytes: manifest.bytes, chunks, problems };
}
