// The stream's writer, a library (docs/stream.md "Library API"): raw chunks in, encoded chunks out, in order,
// compressed and sealed several at a time, with the trailer last. What consumes them is a StreamSink: stdout
// (sinks.ts), or an uploader that groups them into objects.
import { randomBytes } from "node:crypto";
import { ChunkCodec, handled } from "./codec";
import { CHUNK_BYTES, ChunkKind, Flag, chainHeaders, encodeStreamHeader, encodeTrailer, parseStreamHeader, type StreamHeader } from "./format";
import { keyFingerprint } from "./key";

/** What a stream carries, before encoding. */
export interface RawChunk {
  kind: ChunkKind.dir | ChunkKind.data | ChunkKind.fileEnd;
  path: string; // relative, "/"-separated
  offset: number; // data: where the bytes go; fileEnd: the file's size; dir: 0
  data: Uint8Array; // empty but for data
}

/** One chunk as it goes on the wire (header, path, payload), with what a sink may want to know of it. */
export interface EncodedChunk {
  index: number;
  kind: ChunkKind;
  path: string;
  rawLength: number;
  bytes: Uint8Array;
}

/** Where encoded bytes go: the stream header first, then each chunk's bytes, in order; end() after the trailer.
 * abandon(): the stream failed and ends without its trailer; let go of whatever is pending (no await). */
export interface StreamSink {
  write(bytes: Uint8Array, chunk?: EncodedChunk): Promise<void>;
  end(): Promise<void>;
  abandon?(): void;
}

export interface StreamWriterOptions {
  compressLevel?: number; // zstd level 1-19; undefined = no compression
  key?: Uint8Array; // 32 bytes (key.ts readKeyFile); undefined = no encryption
  parallel?: number; // chunks encoded at once (default 4)
  backupId?: Uint8Array; // 16 bytes; random by default
}

export class StreamWriter {
  readonly header: StreamHeader;
  private codec: ChunkCodec;
  private readonly window: number;

  constructor(o: StreamWriterOptions = {}) {
    const flags = (o.compressLevel !== undefined ? Flag.zstd : 0) | (o.key ? Flag.aes256gcm : 0);
    const bytes = encodeStreamHeader({
      flags,
      chunkBytes: CHUNK_BYTES,
      backupId: o.backupId ?? new Uint8Array(randomBytes(16)),
      keyFingerprint: o.key ? keyFingerprint(o.key) : new Uint8Array(8),
    });
    this.header = parseStreamHeader(bytes);
    this.codec = new ChunkCodec({ header: this.header, key: o.key, compressLevel: o.compressLevel });
    this.window = Math.max(1, o.parallel ?? 4);
  }

  /** Every chunk of `source` encoded, in order, then the trailer. At most `parallel` chunks are held at once. */
  async *encode(source: AsyncIterable<RawChunk>): AsyncGenerator<EncodedChunk> {
    const pending: Promise<EncodedChunk>[] = [];
    let index = 0;
    let headersCrc = 0;
    let dataBytes = 0;
    let files = 0;
    const next = async (): Promise<EncodedChunk> => {
      const c = await pending.shift()!;
      headersCrc = chainHeaders(headersCrc, c.bytes.subarray(0, headerLength(c)));
      return c;
    };
    for await (const raw of source) {
      if (raw.data.length > CHUNK_BYTES) throw new Error(`a raw chunk of ${raw.data.length} bytes: at most ${CHUNK_BYTES}`);
      if (raw.kind === ChunkKind.data) dataBytes += raw.data.length;
      if (raw.kind === ChunkKind.fileEnd) files++;
      pending.push(handled(this.encodeOne(raw.kind, raw.path, raw.offset, index++, raw.data)));
      if (pending.length >= this.window) yield await next();
    }
    while (pending.length) yield await next();
    const trailer = encodeTrailer({ chunks: index, dataBytes, files, headersCrc });
    yield await this.encodeOne(ChunkKind.trailer, "", 0, index, trailer);
  }

  private async encodeOne(kind: ChunkKind, path: string, offset: number, index: number, data: Uint8Array): Promise<EncodedChunk> {
    const bytes = await this.codec.encode(kind, path, offset, index, data);
    return { index, kind, path, rawLength: data.length, bytes };
  }

  /** The whole stream into a sink: header, chunks, trailer, end. Returns the bytes written. The header waits for
   * the first chunk: a stream that fails before it has anything to send writes nothing at all. */
  async writeTo(source: AsyncIterable<RawChunk>, sink: StreamSink): Promise<number> {
    let bytes = 0;
    for await (const c of this.encode(source)) {
      if (bytes === 0) {
        await sink.write(this.header.bytes);
        bytes = this.header.bytes.length;
      }
      await sink.write(c.bytes, c);
      bytes += c.bytes.length;
    }
    await sink.end();
    return bytes;
  }
}

/** The length of an encoded chunk's header and path (what the trailer's CRC chains). */
const headerLength = (c: EncodedChunk) => c.bytes.length - storedLength(c.bytes);
const storedLength = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(28, true);
