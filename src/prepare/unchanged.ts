// Files whose CRC32C prepare knows without reading them, so that the hash list at the end of prepare need not
// (on a large backup that read was most of prepare's time): those left exactly as the copier wrote them, with
// the CRC the manifest recorded and checkCopies confirmed before anything changed, and those the replay
// overwrote in place, with that CRC carried through each write (prepare/replay.ts). A file counts as unchanged
// since it was noted while its inode, size and mtime are still those it had then: the server's crash recovery
// changes its mtime when it writes to it. Should that ever miss a change, hb verify reports a difference that is not
// there (a false alarm); the backup's content itself never depends on this.
import { lstatSync, type BigIntStats } from "node:fs";

export type Unchanged = Map<bigint, { crc32c: string; size: bigint; mtimeNs: bigint }>;

export const crcHex = (crc: number) => crc.toString(16).padStart(8, "0");

/** Notes a file in place whose CRC32C is known. */
export function noteUnchanged(into: Unchanged, path: string, crc: number): void {
  const st = lstatSync(path, { bigint: true });
  into.set(st.ino, { crc32c: crcHex(crc), size: st.size, mtimeNs: st.mtimeNs });
}

/** The recorded CRC32C of a file not written since it was noted, else undefined. */
export function knownCrc(unchanged: Unchanged | undefined, st: BigIntStats): string | undefined {
  const u = unchanged?.get(st.ino);
  return u && u.size === st.size && u.mtimeNs === st.mtimeNs ? u.crc32c : undefined;
}
