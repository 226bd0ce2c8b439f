// Content hashes of a prepared backup: recorded at the end of prepare (the hash list), checked by verify.
// CRC32C over each regular file (the CPU's crc32 instruction, through the shim), streamed in 4 MiB reads;
// optionally throttled. The threat is damage, not forgery (whoever can rewrite a file can rewrite this list
// too), and BLAKE2b made hashing most of prepare's time. Lists recorded with BLAKE2b are still checked with it.
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, writeFileSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { isBackupRecord, recordPath, recordWritePath } from "../dest";
import { fsyncPath } from "../fsync-tree";
import { killPoint } from "../prepare/fault";
import { crcHex, knownCrc, type Unchanged } from "../prepare/unchanged";
import { crcApi } from "../shim/crc-ffi";

export interface Entry {
  type: "file" | "dir" | "symlink";
  size?: number;
  crc32c?: string;
  hash?: string; // BLAKE2b-256, in lists recorded by older hb
  target?: string;
}
type Algo = "crc32c" | "blake2b";
export type Hashes = Record<string, Entry>;

const CHUNK = 4 << 20;

function hashFile(path: string, buf: Buffer, pace: (n: number) => void, algo: Algo): string {
  const h = algo === "blake2b" ? new Bun.CryptoHasher("blake2b256") : undefined;
  const crc = crcApi().hb_crc32c;
  let c = 0;
  const fd = openSync(path, "r");
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      if (h) h.update(buf.subarray(0, n));
      else c = crc(c, buf, n) >>> 0;
      pace(n);
    }
  } finally {
    closeSync(fd);
  }
  return h ? h.digest("hex") : crcHex(c);
}

/** Every entry of the backup's tree (hb's and XtraBackup's own files aside), with file hashes. */
/** `unchanged`: files whose CRC32C prepare already knows (see prepare/unchanged.ts). */
export function hashTree(dest: string, bytesPerSec = 0, algo: Algo = "crc32c", unchanged?: Unchanged): Hashes {
  const buf = Buffer.alloc(CHUNK);
  const started = performance.now();
  let done = 0;
  const pace = (n: number) => {
    done += n;
    if (!bytesPerSec) return;
    const ahead = (done / bytesPerSec) * 1000 - (performance.now() - started);
    if (ahead > 0) Bun.sleepSync(ahead);
  };
  const out: Hashes = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dest, rel)).sort()) {
      if (!rel && isBackupRecord(name)) continue;
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dest, path), { bigint: true });
      if (st.isDirectory()) {
        out[path] = { type: "dir" };
        walk(path);
      } else if (st.isSymbolicLink()) out[path] = { type: "symlink", target: readlinkSync(join(dest, path)) };
      else if (st.isFile()) {
        killPoint("hash");
        const size = Number(st.size);
        if (algo === "blake2b") out[path] = { type: "file", size, hash: hashFile(join(dest, path), buf, pace, algo) };
        else out[path] = { type: "file", size, crc32c: knownCrc(unchanged, st) ?? hashFile(join(dest, path), buf, pace, algo) };
      }
    }
  };
  walk("");
  return out;
}

/** Writes the list whole or not at all, durably: prepare records its hashes phase done after it. */
export function recordHashes(dest: string, unchanged?: Unchanged): number {
  const hashes = hashTree(dest, 0, "crc32c", unchanged);
  const file = recordWritePath(dest, "hashes");
  writeFileSync(`${file}.tmp`, JSON.stringify(hashes), { mode: 0o600 });
  fsyncPath(`${file}.tmp`);
  renameSync(`${file}.tmp`, file);
  return Object.keys(hashes).length;
}

export function readHashes(dest: string): Hashes | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(dest, "hashes"), "utf8")) as Hashes;
  } catch {
    return undefined;
  }
}

/** The algorithm a recorded list was made with. */
export const algoOf = (h: Hashes): Algo => (Object.values(h).some((e) => e.hash !== undefined) ? "blake2b" : "crc32c");

/** Differences between what prepare recorded and what is there now. */
export function compareHashes(want: Hashes, got: Hashes): string[] {
  const out: string[] = [];
  for (const [path, w] of Object.entries(want)) {
    const g = got[path];
    if (!g) out.push(`missing: ${path}`);
    else if (g.type !== w.type) out.push(`${path}: is a ${g.type}, was a ${w.type}`);
    else if (w.type === "file" && (g.size !== w.size || g.hash !== w.hash || g.crc32c !== w.crc32c))
      out.push(`${path}: content differs${g.size !== w.size ? ` (size ${g.size}, was ${w.size})` : ""}`);
    else if (w.type === "symlink" && g.target !== w.target) out.push(`${path}: symlink now points to ${g.target}`);
  }
  for (const path of Object.keys(got)) if (!want[path]) out.push(`extra: ${path}`);
  return out;
}
