// The journal record layout of shim/common/record.h, in TypeScript: constants, a header decoder, and an encoder
// (tests build synthetic journals with it). Little-endian; every record is 8-byte aligned.
import { crc32c } from "./crc32c";

export const RecType = { WRITE: 1, TRUNC: 2, FALLOC: 3, BIND: 4, UNBIND: 5, CHMOD: 6, END: 7, MAP: 8 } as const;
export type RecType = (typeof RecType)[keyof typeof RecType];

export const BIND_NEW = 1; // a new incarnation of dev,ino starts here
export const BIND_OUTSIDE = 2; // came from outside the roots: its earlier writes were not journaled

export const HB_REC_HDR = 80;
export const HB_REC_COMMITTED = 0x80000000; // ring only; never set in a journal file
export const HB_REC_MAX_DATA = 1 << 20;

// Field offsets in the header (struct hb_rec).
export const F = {
  len: 0,
  crc: 4,
  pos: 8,
  type: 16,
  flags: 18,
  mode: 20,
  dev: 24,
  ino: 32,
  pdev: 40,
  pino: 48,
  off: 56,
  count: 64,
  n1: 72,
  n2: 76,
} as const;

export const pad8 = (n: number) => (n + 7) & ~7;

export interface RecordHeader {
  len: number;
  crc: number;
  pos: bigint;
  type: number;
  flags: number;
  mode: number;
  dev: bigint;
  ino: bigint;
  pdev: bigint;
  pino: bigint;
  off: bigint;
  count: bigint;
  n1: number;
  n2: number;
  ident: string; // "dev:ino"
  parent: string; // "pdev:pino"
}

export function decodeHeader(view: DataView, offset: number): RecordHeader {
  const u64 = (f: number) => view.getBigUint64(offset + f, true);
  const dev = u64(F.dev), ino = u64(F.ino), pdev = u64(F.pdev), pino = u64(F.pino);
  return {
    len: view.getUint32(offset + F.len, true),
    crc: view.getUint32(offset + F.crc, true),
    pos: u64(F.pos),
    type: view.getUint16(offset + F.type, true),
    flags: view.getUint16(offset + F.flags, true),
    mode: view.getUint32(offset + F.mode, true),
    dev,
    ino,
    pdev,
    pino,
    off: u64(F.off),
    count: u64(F.count),
    n1: view.getUint32(offset + F.n1, true),
    n2: view.getUint32(offset + F.n2, true),
    ident: `${dev}:${ino}`,
    parent: `${pdev}:${pino}`,
  };
}

// The fast path of the reader: 64-bit fields as numbers (exact below 2^53: offsets, sizes, positions).
export const u64n = (view: DataView, at: number) => view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x1_0000_0000;

/** "dev:ino" from two 64-bit fields, exact for any value (overlayfs inode numbers use the high bits). */
export function identAt(view: DataView, at: number): string {
  const hiD = view.getUint32(at + 4, true), hiI = view.getUint32(at + 12, true);
  if (hiD < 0x200000 && hiI < 0x200000) return `${u64n(view, at)}:${u64n(view, at + 8)}`;
  return `${view.getBigUint64(at, true)}:${view.getBigUint64(at + 8, true)}`;
}

export function parseIdent(ident: string): [bigint, bigint] {
  const m = /^(\d+):(\d+)$/.exec(ident);
  if (!m) throw new Error(`bad ident "${ident}"`);
  return [BigInt(m[1]!), BigInt(m[2]!)];
}

/** What a record says; unset fields are 0. `ident`/`parent` may stand for dev,ino / pdev,pino. */
export interface RecordInput {
  type: number;
  flags?: number;
  mode?: number;
  ident?: string;
  parent?: string;
  dev?: bigint;
  ino?: bigint;
  pdev?: bigint;
  pino?: bigint;
  off?: bigint | number;
  count?: bigint | number; // WRITE and BIND: taken from data / abspath when not given
  name?: string;
  target?: string;
  abspath?: string;
  data?: Uint8Array;
}

const encoder = new TextEncoder();

/** One record at stream position `pos`, padded to 8 bytes, with `len` and `crc` filled in. */
export function encodeRecord(rec: RecordInput, pos: bigint | number): Uint8Array {
  const name = encoder.encode(rec.name ?? "");
  const target = encoder.encode(rec.target ?? "");
  const abspath = encoder.encode(rec.abspath ?? "");
  const data = rec.data ?? new Uint8Array(0);
  const payload =
    rec.type === RecType.WRITE
      ? data.length
      : rec.type === RecType.BIND
        ? name.length + target.length + abspath.length
        : rec.type === RecType.UNBIND
          ? name.length
          : 0;
  const len = pad8(HB_REC_HDR + payload);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  const [dev, ino] = rec.ident ? parseIdent(rec.ident) : [rec.dev ?? 0n, rec.ino ?? 0n];
  const [pdev, pino] = rec.parent ? parseIdent(rec.parent) : [rec.pdev ?? 0n, rec.pino ?? 0n];
  const count =
    rec.count !== undefined
      ? BigInt(rec.count)
      : rec.type === RecType.WRITE
        ? BigInt(data.length)
        : rec.type === RecType.BIND
          ? BigInt(abspath.length)
          : 0n;
  v.setUint32(F.len, len, true);
  v.setBigUint64(F.pos, BigInt(pos), true);
  v.setUint16(F.type, rec.type, true);
  v.setUint16(F.flags, rec.flags ?? 0, true);
  v.setUint32(F.mode, rec.mode ?? 0, true);
  v.setBigUint64(F.dev, dev, true);
  v.setBigUint64(F.ino, ino, true);
  v.setBigUint64(F.pdev, pdev, true);
  v.setBigUint64(F.pino, pino, true);
  v.setBigUint64(F.off, BigInt(rec.off ?? 0), true);
  v.setBigUint64(F.count, count, true);
  if (rec.type === RecType.BIND || rec.type === RecType.UNBIND) {
    v.setUint32(F.n1, name.length, true);
    out.set(name, HB_REC_HDR);
  }
  if (rec.type === RecType.BIND) {
    v.setUint32(F.n2, target.length, true);
    out.set(target, HB_REC_HDR + name.length);
    out.set(abspath, HB_REC_HDR + name.length + target.length);
  }
  if (rec.type === RecType.WRITE) out.set(data, HB_REC_HDR);
  v.setUint32(F.crc, crc32c(out.subarray(8)), true);
  return out;
}
