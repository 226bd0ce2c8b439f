// A backup's bytes back out of the store, in order (docs/s3.md "Downloads"): ranged GETs of part size, up to
// `parallel` at once, each range checked against the manifest's SHA-256 before it is handed on, and each
// object's whole SHA-256 at its end. Memory: (parallel + 1) ranges.
import { CryptoHasher } from "bun";
import { HbError } from "../errors";
import { StoreError, type Store } from "./client";
import type { Manifest } from "./manifest";
import { releaseRequestMemory } from "./pool";

interface Range {
  object: number;
  index: number;
  key: string;
  start: number;
  end: number;
  sha256: string;
}

function rangesOf(manifest: Manifest, base: string): Range[] {
  const ranges: Range[] = [];
  manifest.objects.forEach((o, object) => {
    const expected = Math.ceil(o.size / manifest.partSize);
    if (o.ranges.length !== expected) throw new HbError("damaged", `the manifest gives ${o.key} ${o.ranges.length} range checksums for ${o.size} bytes`);
    o.ranges.forEach((sha256, index) => {
      const start = index * manifest.partSize;
      ranges.push({ object, index, key: `${base}${o.key}`, start, end: Math.min(o.size, start + manifest.partSize), sha256 });
    });
  });
  return ranges;
}

async function fetchRange(store: Store, r: Range): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await store.getObject(r.key, [r.start, r.end]);
  } catch (error) {
    if (error instanceof StoreError && (error.code === "NoSuchKey" || error.code === "InvalidRange"))
      throw new HbError("damaged", `s3://${store.config.bucket}/${r.key} is missing or shorter than the manifest says (${error.code})`);
    throw error;
  }
  const sha = new CryptoHasher("sha256").update(bytes).digest("hex");
  if (bytes.byteLength !== r.end - r.start || sha !== r.sha256)
    throw new HbError("damaged", `s3://${store.config.bucket}/${r.key} bytes ${r.start}-${r.end} do not match the manifest's checksum: the object was changed, replaced or reordered`);
  return bytes;
}

/** The backup's bytes, range by range, each checked; throws HbError("damaged") on the first mismatch. */
export async function* download(store: Store, manifest: Manifest, base: string, parallel: number): AsyncGenerator<Uint8Array> {
  const ranges = rangesOf(manifest, base);
  const ahead: Promise<Uint8Array>[] = [];
  let next = 0;
  const refill = () => {
    while (ahead.length < parallel && next < ranges.length) {
      const p = fetchRange(store, ranges[next++]!);
      p.catch(() => {}); // awaited in order below
      ahead.push(p);
    }
  };
  let whole = new CryptoHasher("sha256");
  for (const r of ranges) {
    refill();
    const bytes = await ahead.shift()!;
    whole.update(bytes);
    if (r.index === manifest.objects[r.object]!.ranges.length - 1) {
      const o = manifest.objects[r.object]!;
      if (whole.digest("hex") !== o.sha256) throw new HbError("damaged", `s3://${store.config.bucket}/${r.key} does not match the manifest's checksum`);
      whole = new CryptoHasher("sha256");
    }
    yield bytes;
    releaseRequestMemory();
  }
}
