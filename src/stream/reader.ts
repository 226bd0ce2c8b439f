// The stream's reader, a library (docs/stream.md "Library API"): bytes in, from any async source (stdin, a
// file, downloaded objects), checked raw chunks out, in order. Several chunks are opened (decrypted,
// decompressed) at once. Every chunk's index must be the next one, and the stream must end with a trailer
// whose counts and chained CRC match what came before it, and nothing after it.
import { HbError } from "../errors";
import { ChunkCodec, bad, handled } from "./codec";
import {
  CHUNK_HEADER_BYTES,
  ChunkKind,
  STREAM_HEADER_BYTES,
  chainHeaders,
  chunkPathBytes,
  parseChunkHeader,
  parseStreamHeader,
  parseTrailer,
  type StreamHeader,
} from "./format";
import type { RawChunk } from "./writer";

export interface StreamReaderOptions {
  key?: Uint8Array; // required for an encrypted stream, refused for a plain one
  parallel?: number; // chunks opened at once (default 4)
  onHeader?: (h: StreamHeader) => void;
}

export interface DecodedChunk extends RawChunk {
  index: number;
}

/** Reads exact byte counts from an async source of byte arrays of any size. */
export class ByteReader {
  private pieces: Uint8Array[] = [];
  private held = 0;
  private it: AsyncIterator<Uint8Array>;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or fewer at the end of the source. */
  async read(n: number): Promise<Uint8Array> {
    while (this.held < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length) {
        this.pieces.push(r.value);
        this.held += r.value.length;
      }
    }
    const out = new Uint8Array(Math.min(n, this.held));
    let at = 0;
    while (at < out.length) {
      const p = this.pieces[0]!;
      const take = Math.min(p.length, out.length - at);
      out.set(p.subarray(0, take), at);
      at += take;
      if (take === p.length) this.pieces.shift();
      else this.pieces[0] = p.subarray(take);
    }
    this.held -= out.length;
    return out;
  }

  async atEnd(): Promise<boolean> {
    return (await this.read(1)).length === 0;
  }
}

export async function* readStream(source: AsyncIterable<Uint8Array>, o: StreamReaderOptions = {}): AsyncGenerator<DecodedChunk> {
  const input = new ByteReader(source);
  const headerBytes = await input.read(STREAM_HEADER_BYTES);
  if (headerBytes.length === 0) throw new HbError("damaged", "the stream is empty (did the backup fail? its error is on its stderr)");
  const header = parseStreamHeader(headerBytes);
  o.onHeader?.(header);
  const codec = new ChunkCodec({ header, key: o.key });
  const window = Math.max(1, o.parallel ?? 4);
  const pending: Promise<DecodedChunk>[] = [];
  let headersCrc = 0;
  let dataBytes = 0;
  let files = 0;
  for (let index = 0; ; index++) {
    const fixed = await input.read(CHUNK_HEADER_BYTES);
    if (fixed.length < CHUNK_HEADER_BYTES)
      throw new HbError("damaged", `the stream is truncated: it ends ${index ? `after chunk ${index - 1}` : "before its first chunk"}, without its trailer`);
    const path = await input.read(chunkPathBytes(fixed));
    const h = parseChunkHeader(concat(fixed, path));
    if (h.index !== index) throw bad(h, `comes where chunk ${index} belongs (a chunk is missing, repeated or out of order)`);
    const stored = await input.read(h.storedLength);
    if (stored.length < h.storedLength) throw bad(h, `is cut short (${stored.length} of ${h.storedLength} bytes): the stream is truncated`);
    if (h.kind === ChunkKind.trailer) {
      while (pending.length) yield await pending.shift()!;
      const t = parseTrailer(await codec.decode(h, stored));
      if (t.chunks !== index || t.dataBytes !== dataBytes || t.files !== files || t.headersCrc !== headersCrc)
        throw bad(h, `(the trailer) does not match the chunks before it: ${t.chunks} chunks, ${t.files} files, ${t.dataBytes} bytes said; ${index}, ${files}, ${dataBytes} read`);
      if (!(await input.atEnd())) throw new HbError("damaged", "the stream is damaged: bytes follow its trailer");
      return;
    }
    headersCrc = chainHeaders(headersCrc, h.bytes);
    if (h.kind === ChunkKind.data) dataBytes += h.rawLength;
    if (h.kind === ChunkKind.fileEnd) files++;
    if (h.kind !== ChunkKind.data && h.rawLength !== 0) throw bad(h, "carries bytes its kind never has");
    pending.push(handled(codec.decode(h, stored).then((data) => ({ index, kind: h.kind as RawChunk["kind"], path: h.path, offset: h.offset, data }))));
    if (pending.length >= window) yield await pending.shift()!;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
