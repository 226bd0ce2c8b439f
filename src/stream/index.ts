// The stream format as a library (docs/stream.md "Library API"): StreamWriter turns raw chunks into encoded
// ones for any StreamSink; readStream turns bytes back into checked raw chunks; backupChunks lists a backup
// directory as raw chunks, extractStream writes one back; streamBackup takes a backup into any StreamSink.
export { ChunkKind, CHUNK_BYTES, type StreamHeader } from "./format";
export { StreamWriter, type RawChunk, type EncodedChunk, type StreamSink, type StreamWriterOptions } from "./writer";
export { readStream, ByteReader, type DecodedChunk, type StreamReaderOptions } from "./reader";
export { backupChunks } from "./source";
export { extractStream, type ExtractResult } from "./extract";
export { FdSink } from "./sinks";
export { streamBackup, type StreamBackupOptions, type StreamStats } from "./backup";
export { readKeyFile } from "./key";
