// Where a backup lives in a bucket (docs/s3.md "Layout"): s3://BUCKET/PREFIX/NAME/ holds data/000001,
// data/000002, … and, written last, manifest.json. A NAME without its manifest is an incomplete backup.
import { HbError } from "../errors";

export interface S3Location {
  bucket: string;
  /** The key prefix, without a trailing slash; "" for the bucket's top. */
  path: string;
}

export const isS3Url = (text: string) => text.startsWith("s3://");

export function parseS3Url(text: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (!m) throw new HbError("usage", `invalid S3 location "${text}": expected s3://BUCKET/PREFIX/NAME`);
  const path = (m[2] ?? "").replace(/\/+$/, "");
  if (path.split("/").some((seg, i, all) => seg === "" && all.length > 1 || seg === "." || seg === ".."))
    throw new HbError("usage", `invalid S3 location "${text}": empty, . or .. path segments`);
  return { bucket: m[1]!, path };
}

/** A backup's location: the URL must name it (s3://BUCKET/NAME at least). */
export function parseBackupUrl(text: string): S3Location & { name: string } {
  const loc = parseS3Url(text);
  if (!loc.path) throw new HbError("usage", `"${text}" names a bucket, not a backup: expected s3://BUCKET/PREFIX/NAME`);
  return { ...loc, name: loc.path.slice(loc.path.lastIndexOf("/") + 1) };
}

/** The key prefix every object of the backup at `path` starts with. */
export const backupBase = (path: string) => `${path}/`;
export const manifestKey = (base: string) => `${base}manifest.json`;
export const objectKey = (base: string, index: number) => `${base}data/${String(index).padStart(6, "0")}`;
