// A finished backup directory as raw chunks, in the order src/dest/contents.ts gives (state last).
import { open } from "node:fs/promises";
import { join } from "node:path";
import { HbError } from "../errors";
import { backupContents } from "../dest";
import { CHUNK_BYTES, ChunkKind } from "./format";
import type { RawChunk } from "./writer";

const NONE = new Uint8Array(0);

export async function* backupChunks(dir: string, onSent?: (path: string) => void): AsyncGenerator<RawChunk> {
  for (const entry of backupContents(dir)) {
    if (entry.dir) {
      yield { kind: ChunkKind.dir, path: entry.path, offset: 0, data: NONE };
      continue;
    }
    const file = await open(join(dir, entry.path), "r");
    let offset = 0;
    try {
      for (;;) {
        const buf = new Uint8Array(CHUNK_BYTES);
        const { bytesRead } = await file.read(buf, 0, CHUNK_BYTES, offset);
        if (bytesRead === 0) break;
        yield { kind: ChunkKind.data, path: entry.path, offset, data: buf.subarray(0, bytesRead) };
        offset += bytesRead;
      }
    } finally {
      await file.close();
    }
    if (offset !== entry.size) throw new HbError("internal", `${entry.path} changed size while it was streamed (${entry.size} → ${offset})`);
    yield { kind: ChunkKind.fileEnd, path: entry.path, offset, data: NONE };
    onSent?.(entry.path);
  }
}
