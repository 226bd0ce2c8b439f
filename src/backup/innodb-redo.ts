// InnoDB's redo log (MariaDB 10.8+: ib_logfile0, a 12 KiB header, then a ring of records) is mostly old
// records recovery never reads: it starts at the latest checkpoint and stops at the end of the log. So hb
// copies only the header and the live part of the ring, [oldest checkpoint in the header, LSN when the
// copy starts + a margin]; every later write to the file is in the journal, and the rest of the copy is a
// hole. Anything unexpected (another format, encryption, odd numbers) copies the whole file.
import { readSync } from "node:fs";
import { join, normalize } from "node:path";
import type { Db } from "../connect/client";

export const REDO_HEADER_BYTES = 12288;
const FORMAT_10_8 = 0x50687973; // "Phys": the 10.8+ format, unencrypted
const CHECKPOINTS = [0x1000, 0x2000];
const BLOCK = 4096;
/** Beyond the LSN read before the copy: the log writer's partly written last block, and slack. */
export const REDO_MARGIN_BYTES = 1 << 20;

/** [from, to) byte ranges of a redo log file that recovery can read, or undefined for "all of it". */
export function liveRedoRanges(header: Buffer, fileSize: number, lsnNow: bigint): [number, number][] | undefined {
  if (header.length < REDO_HEADER_BYTES || fileSize <= REDO_HEADER_BYTES + 2 * REDO_MARGIN_BYTES) return undefined;
  if (header.readUInt32BE(0) !== FORMAT_10_8) return undefined;
  const first = header.readBigUInt64BE(8);
  const checkpoints = CHECKPOINTS.map((at) => header.readBigUInt64BE(at)).filter((lsn) => lsn >= first && lsn <= lsnNow);
  if (checkpoints.length === 0) return undefined;
  const oldest = checkpoints.reduce((a, b) => (a < b ? a : b));
  const capacity = BigInt(fileSize - REDO_HEADER_BYTES);
  const offset = Number((oldest - first) % capacity) + REDO_HEADER_BYTES;
  const start = offset - ((offset - REDO_HEADER_BYTES) % BLOCK);
  const length = Number(lsnNow - oldest) + (offset - start) + REDO_MARGIN_BYTES;
  if (length >= Number(capacity)) return undefined;
  const ranges: [number, number][] = [[0, REDO_HEADER_BYTES]];
  const end = start + length;
  if (end <= fileSize) ranges.push([start, end]);
  else ranges.push([start, fileSize], [REDO_HEADER_BYTES, REDO_HEADER_BYTES + (end - fileSize)]);
  return ranges;
}

/** The header of an open redo log file. */
export function readRedoHeader(fd: number): Buffer {
  const header = Buffer.alloc(REDO_HEADER_BYTES);
  const n = readSync(fd, header, 0, REDO_HEADER_BYTES, 0);
  return header.subarray(0, n);
}

/**
 * For the copier: ib_logfile0 in `logDir`, live part only. The copier closes the file's unread window before
 * it asks for the ranges, and the LSN they end at is read after that: a write left out of the journal until
 * then holds records up to that LSN, so it is either in the ranges or before the checkpoint, where recovery
 * never reads. Copied last, the file's writes during the whole copy are left out.
 */
export function liveRedoCopy(logDir: string) {
  const path = normalize(join(logDir, "ib_logfile0"));
  let db: Db | undefined;
  return {
    path,
    captureBegan(server: Db): void {
      db = server;
    },
    partial: (absPath: string) => normalize(absPath) === path,
    async ranges(absPath: string, fd: number, size: number): Promise<[number, number][] | undefined> {
      if (!db || normalize(absPath) !== path) return undefined;
      const [row] = await db.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'");
      if (!row || !/^\d+$/.test(String(row.Value))) return undefined;
      return liveRedoRanges(readRedoHeader(fd), size, BigInt(row.Value));
    },
  };
}
