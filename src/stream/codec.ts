// One chunk's payload: raw bytes → (zstd) → (AES-256-GCM) → stored bytes, and back, with every check that
// names the chunk on failure. Compression runs on Bun's thread pool (the async zstd API), so several chunks
// compress at once while the main thread writes.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { HbError } from "../errors";
import { ChunkFlag, ChunkKind, Flag, encodeChunkHeader, type ChunkHeader, type StreamHeader } from "./format";
import { keyFingerprint, streamKey } from "./key";
import { fastCrc } from "../journal/crc-native";

export const TAG_BYTES = 16;

export interface ChunkCodecOptions {
  header: StreamHeader;
  key?: Uint8Array; // the user's key; required exactly when the header says aes256gcm
  compressLevel?: number; // writers only: zstd level when the header says zstd
}

/** GCM's 12-byte nonce: 4 zero bytes and the chunk index (unique under the stream's own key). */
function nonce(index: number): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(index), true);
  return n;
}

const aad = (stream: StreamHeader, chunkHeader: Uint8Array) => Buffer.concat([stream.bytes, chunkHeader]);

export class ChunkCodec {
  private readonly sealKey?: Uint8Array;
  readonly compress: boolean;
  readonly encrypt: boolean;

  constructor(private o: ChunkCodecOptions) {
    this.compress = (o.header.flags & Flag.zstd) !== 0;
    this.encrypt = (o.header.flags & Flag.aes256gcm) !== 0;
    if (this.encrypt !== (o.key !== undefined))
      throw new HbError("usage", this.encrypt ? "the stream is encrypted: give --encrypt-key-file" : "the stream is not encrypted, but a key was given");
    if (o.key && !equal(keyFingerprint(o.key), o.header.keyFingerprint))
      throw new HbError("usage", "wrong key: the stream was encrypted with another key (its fingerprint differs)");
    if (o.key) this.sealKey = streamKey(o.key, o.header.backupId);
  }

  /** The chunk as it goes on the wire: header, path, stored payload. */
  async encode(kind: ChunkKind, path: string, offset: number, index: number, raw: Uint8Array): Promise<Uint8Array> {
    let stored = raw;
    let flags = 0;
    if (this.compress && raw.length) {
      const z = await Bun.zstdCompress(raw, { level: this.o.compressLevel ?? 3 });
      if (z.length < raw.length) {
        stored = z;
        flags |= ChunkFlag.compressed;
      }
    }
    const storedLength = stored.length + (this.encrypt ? TAG_BYTES : 0);
    const crc = (await fastCrc())(raw);
    const header = encodeChunkHeader({ kind, flags, index, offset, rawLength: raw.length, storedLength, crc, path });
    if (!this.encrypt) return concat(header, stored);
    const c = createCipheriv("aes-256-gcm", this.sealKey!, nonce(index));
    c.setAAD(aad(this.o.header, header));
    return concat(header, c.update(stored), c.final(), c.getAuthTag());
  }

  /** The raw bytes of a chunk from its stored payload: tag, decompression and CRC checked. */
  async decode(h: ChunkHeader, stored: Uint8Array): Promise<Uint8Array> {
    let body = stored;
    if (this.encrypt) {
      if (stored.length < TAG_BYTES) throw bad(h, "is shorter than its authentication tag");
      const d = createDecipheriv("aes-256-gcm", this.sealKey!, nonce(h.index));
      d.setAAD(aad(this.o.header, h.bytes));
      d.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
      try {
        body = Buffer.concat([d.update(stored.subarray(0, stored.length - TAG_BYTES)), d.final()]);
      } catch {
        throw bad(h, "fails authentication (tampered with, moved, or from another stream)");
      }
    }
    let raw = body;
    if (h.flags & ChunkFlag.compressed) {
      if (!this.compress) throw bad(h, "is compressed in a stream that says it is not");
      try {
        raw = await Bun.zstdDecompress(body);
      } catch {
        throw bad(h, "does not decompress");
      }
    }
    if (raw.length !== h.rawLength) throw bad(h, `holds ${raw.length} bytes, not the ${h.rawLength} its header says`);
    if ((await fastCrc())(raw) !== h.crc) throw bad(h, "does not match its CRC32C");
    return raw;
  }
}

export const bad = (h: Pick<ChunkHeader, "index" | "path">, what: string) =>
  new HbError("damaged", `the stream is damaged: chunk ${h.index}${h.path ? ` (${h.path})` : ""} ${what}`);

/** A promise whose failure is reported where it is awaited, not as unhandled while it waits its turn. */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
