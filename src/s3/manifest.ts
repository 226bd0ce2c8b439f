// The manifest: written last, it makes a backup complete (docs/s3.md "Manifest"). It lists every object with
// its size and SHA-256, and a SHA-256 for each part-sized range of it, so that a reader checks every range
// before using it; and what the backup is (times, binlog position, sizes, content format). Never a key.
import { HbError } from "../errors";

export const MANIFEST_FORMAT = "hb-s3-backup";
export const MANIFEST_VERSION = 1;

export interface ObjectEntry {
  /** Relative to the backup's prefix: data/000001. */
  key: string;
  size: number;
  sha256: string;
  /** SHA-256 of each partSize range of the object, in order. */
  ranges: string[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  name: string;
  startedAt: string;
  completedAt: string;
  partSize: number;
  /** What the concatenated objects hold, and how to read them. */
  content: { format: string; compression: string; encrypted: boolean };
  bytes: number;
  objects: ObjectEntry[];
  /** What the backup reported: binlog position, LSN, sizes, server version. */
  backup: Record<string, unknown>;
}

export function parseManifest(bytes: Uint8Array, where: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HbError("damaged", `${where} is not a manifest hb can read: ${(e as Error).message}`);
  }
  if (m?.format !== MANIFEST_FORMAT || m.version !== MANIFEST_VERSION || !Array.isArray(m.objects))
    throw new HbError("damaged", `${where} is not an hb manifest of version ${MANIFEST_VERSION}`);
  const total = m.objects.reduce((sum, o) => sum + o.size, 0);
  if (total !== m.bytes) throw new HbError("damaged", `${where}: its objects add up to ${total} bytes, not the ${m.bytes} it records`);
  return m;
}
