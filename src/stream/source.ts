// A finished backup directory as raw chunks, in the order src/dest/contents.ts gives (state last).
import { open } from "node:fs/promises";
import { join } from "node:path";
import { HbError } from "../errors";
import { backupContents } from "../dest";
import { CHUNK_BYTES, ChunkKind } from "./format";
import type { RawChunk } from "./writer";

const NONE = new Uint8Array(0);

/** A finished backup directory as raw chunks: each directory, then each file whole (fileChunks). */
export async function* backupChunks(dir: string): AsyncGenerator<RawChunk> {
  for (const entry of backupContents(dir)) {
    if (entry.dir) yield { kind: ChunkKind.dir, path: entry.path, offset: 0, data: NONE };
    else yield* fileChunks(dir, entry.path, 0, entry.size);
  }
}

/** A file of dir from `from` to its end as data chunks, then its end chunk. With `size`, the file must end there. */
export async function* fileChunks(dir: string, path: string, from: number, size?: number): AsyncGenerator<RawChunk> {
  const file = await open(join(dir, path), "r");
  let offset = from;
  try {
    for (;;) {
      const buf = new Uint8Array(CHUNK_BYTES);
      const { bytesRead } = await file.read(buf, 0, CHUNK_BYTES, offset);
      if (bytesRead === 0) break;
      yield { kind: ChunkKind.data, path, offset, data: buf.subarray(0, bytesRead) };
      offset += bytesRead;
    }
  } finally {
    await file.close();
  }
  if (size !== undefined && offset !== size) throw new HbError("internal", `${path} changed size while it was streamed (${size} → ${offset})`);
  yield { kind: ChunkKind.fileEnd, path, offset, data: NONE };
}
