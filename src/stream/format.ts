// The stream format's bytes (docs/stream.md "Format"): a 48-byte stream header, then chunks, each a 40-byte
// header, its path, and its payload. Every integer little-endian. This file only lays out and parses
// headers; codec.ts turns raw bytes into payloads and back.
import { HbError } from "../errors";
import { crc32c } from "../journal/crc32c";

export const STREAM_MAGIC = "HBSTREAM";
export const FORMAT_VERSION = 1;
export const STREAM_HEADER_BYTES = 48;
export const CHUNK_HEADER_BYTES = 40;
const CHUNK_MAGIC = 0x4b434248; // "HBCK"
/** The most raw bytes one chunk carries (writers use less: CHUNK_BYTES). */
export const MAX_CHUNK_BYTES = 16 << 20;
/** What hb's writer puts in a data chunk. */
export const CHUNK_BYTES = 1 << 20;
/** A stored payload may exceed its raw bytes by a little (incompressible data is stored raw; GCM adds its tag). */
export const MAX_STORED_BYTES = MAX_CHUNK_BYTES + 64;
export const MAX_PATH_BYTES = 4096;

export const Flag = { zstd: 1, aes256gcm: 2 } as const;
export const ChunkFlag = { compressed: 1 } as const;

export enum ChunkKind {
  dir = 1, // a directory at path (created 0700)
  data = 2, // raw bytes of the file at path, from offset
  fileEnd = 3, // the file at path is complete; offset = its size
  trailer = 4, // the last chunk: counts that prove nothing was cut (payload: TRAILER_BYTES)
}

export interface StreamHeader {
  version: number;
  flags: number;
  chunkBytes: number; // the most raw bytes this stream's chunks carry
  backupId: Uint8Array; // 16 random bytes
  keyFingerprint: Uint8Array; // 8 bytes; zeros when not encrypted
  bytes: Uint8Array; // the header as written (authenticated with every encrypted chunk)
}

export interface ChunkHeader {
  kind: ChunkKind;
  flags: number;
  index: number; // 0 for the first chunk after the stream header, then +1 each
  offset: number;
  rawLength: number;
  storedLength: number;
  crc: number; // CRC32C of the raw bytes
  path: string;
  bytes: Uint8Array; // the header and path as written
}

const damaged = (what: string) => new HbError("damaged", `the stream is damaged: ${what}`);

export function encodeStreamHeader(h: Omit<StreamHeader, "bytes" | "version">): Uint8Array {
  const b = new Uint8Array(STREAM_HEADER_BYTES);
  const v = new DataView(b.buffer);
  b.set(new TextEncoder().encode(STREAM_MAGIC), 0);
  v.setUint16(8, FORMAT_VERSION, true);
  v.setUint16(10, h.flags, true);
  v.setUint32(12, h.chunkBytes, true);
  b.set(h.backupId, 16);
  b.set(h.keyFingerprint, 32);
  // 40..43 reserved, zero
  v.setUint32(44, crc32c(b.subarray(0, 44)), true);
  return b;
}

export function parseStreamHeader(b: Uint8Array): StreamHeader {
  if (b.length < STREAM_HEADER_BYTES) throw damaged(`it ends in its header (${b.length} of ${STREAM_HEADER_BYTES} bytes)`);
  if (new TextDecoder().decode(b.subarray(0, 8)) !== STREAM_MAGIC) throw damaged("it does not start with HBSTREAM (not an hb stream)");
  const v = new DataView(b.buffer, b.byteOffset, STREAM_HEADER_BYTES);
  if (v.getUint32(44, true) !== crc32c(b.subarray(0, 44))) throw damaged("the stream header's CRC does not match");
  const version = v.getUint16(8, true);
  if (version !== FORMAT_VERSION) throw damaged(`format version ${version} is not supported (this hb reads ${FORMAT_VERSION})`);
  const flags = v.getUint16(10, true);
  if (flags & ~(Flag.zstd | Flag.aes256gcm)) throw damaged(`unknown flags 0x${flags.toString(16)}`);
  const chunkBytes = v.getUint32(12, true);
  if (chunkBytes === 0 || chunkBytes > MAX_CHUNK_BYTES) throw damaged(`chunk size ${chunkBytes} is out of range`);
  const bytes = b.slice(0, STREAM_HEADER_BYTES);
  return { version, flags, chunkBytes, backupId: bytes.slice(16, 32), keyFingerprint: bytes.slice(32, 40), bytes };
}

export function encodeChunkHeader(h: Omit<ChunkHeader, "bytes">): Uint8Array {
  const path = new TextEncoder().encode(h.path);
  if (path.length > MAX_PATH_BYTES) throw new HbError("internal", `path too long for the stream: ${h.path}`);
  const b = new Uint8Array(CHUNK_HEADER_BYTES + path.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, CHUNK_MAGIC, true);
  v.setUint8(4, h.kind);
  v.setUint8(5, h.flags);
  v.setUint16(6, path.length, true);
  v.setBigUint64(8, BigInt(h.index), true);
  v.setBigUint64(16, BigInt(h.offset), true);
  v.setUint32(24, h.rawLength, true);
  v.setUint32(28, h.storedLength, true);
  v.setUint32(32, h.crc, true);
  b.set(path, CHUNK_HEADER_BYTES);
  v.setUint32(36, headerCrc(b), true);
  return b;
}

/** CRC32C of the header's first 36 bytes and its path (the CRC field itself left out). */
const headerCrc = (b: Uint8Array) => crc32c(b.subarray(CHUNK_HEADER_BYTES), crc32c(b.subarray(0, 36)));

/** The path length a chunk header announces (its first CHUNK_HEADER_BYTES are enough to know it). */
export function chunkPathBytes(fixed: Uint8Array): number {
  const v = new DataView(fixed.buffer, fixed.byteOffset, CHUNK_HEADER_BYTES);
  if (v.getUint32(0, true) !== CHUNK_MAGIC) throw damaged("a chunk does not start with HBCK (bytes lost or inserted)");
  const n = v.getUint16(6, true);
  if (n > MAX_PATH_BYTES) throw damaged(`a chunk's path is ${n} bytes long`);
  return n;
}

function utf8(b: Uint8Array, index: number): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw damaged(`chunk ${index}'s path is not UTF-8`);
  }
}

/** Parses a whole chunk header (fixed part and path) and checks its CRC and bounds. */
export function parseChunkHeader(b: Uint8Array): ChunkHeader {
  const pathBytes = chunkPathBytes(b);
  const v = new DataView(b.buffer, b.byteOffset, CHUNK_HEADER_BYTES);
  const bytes = b.slice(0, CHUNK_HEADER_BYTES + pathBytes);
  const index = Number(v.getBigUint64(8, true));
  if (v.getUint32(36, true) !== headerCrc(bytes)) throw damaged(`the header of chunk ${index} (as it says) does not match its CRC`);
  const h: ChunkHeader = {
    kind: v.getUint8(4),
    flags: v.getUint8(5),
    index,
    offset: Number(v.getBigUint64(16, true)),
    rawLength: v.getUint32(24, true),
    storedLength: v.getUint32(28, true),
    crc: v.getUint32(32, true),
    path: utf8(bytes.subarray(CHUNK_HEADER_BYTES), index),
    bytes,
  };
  if (!(h.kind in ChunkKind)) throw damaged(`chunk ${index} has unknown kind ${h.kind}`);
  if (h.rawLength > MAX_CHUNK_BYTES || h.storedLength > MAX_STORED_BYTES) throw damaged(`chunk ${index} is too large`);
  if (!Number.isSafeInteger(h.offset)) throw damaged(`chunk ${index} has offset out of range`);
  return h;
}

/** The trailer's payload: how many chunks came before it, how many file bytes, and a CRC32C chained over
 * every earlier chunk's header, so that a lost, added or reordered chunk cannot go unseen. */
export const TRAILER_BYTES = 24;
export interface Trailer {
  chunks: number;
  dataBytes: number;
  files: number;
  headersCrc: number;
}

export function encodeTrailer(t: Trailer): Uint8Array {
  const b = new Uint8Array(TRAILER_BYTES);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(t.chunks), true);
  v.setBigUint64(8, BigInt(t.dataBytes), true);
  v.setUint32(16, t.files, true);
  v.setUint32(20, t.headersCrc, true);
  return b;
}

export function parseTrailer(b: Uint8Array): Trailer {
  if (b.length !== TRAILER_BYTES) throw damaged(`the trailer is ${b.length} bytes, not ${TRAILER_BYTES}`);
  const v = new DataView(b.buffer, b.byteOffset, TRAILER_BYTES);
  return { chunks: Number(v.getBigUint64(0, true)), dataBytes: Number(v.getBigUint64(8, true)), files: v.getUint32(16, true), headersCrc: v.getUint32(20, true) };
}

/** The running CRC the trailer carries: each chunk header's bytes in stream order. */
export const chainHeaders = (seed: number, header: Uint8Array) => crc32c(header, seed);
