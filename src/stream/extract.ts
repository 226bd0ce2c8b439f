// hb extract: a stream back into the backup directory `hb backup DEST` would have written, private (0700
// directories, 0600 files), every chunk checked (reader.ts). DIR must be new or empty; on any failure what was
// written is removed, so a DIR that exists after a failed extract is the empty one it was.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { HbError } from "../errors";
import { fsyncTree } from "../fsync-tree";
import { checkDest } from "../dest";
import { bad } from "./codec";
import { ChunkKind, Flag } from "./format";
import { readStream, type DecodedChunk, type StreamReaderOptions } from "./reader";

export interface ExtractResult {
  dir: string;
  files: number;
  dirs: number;
  bytes: number;
  encrypted: boolean;
  compressed: boolean;
}

const NAME_OK = (n: string) => n !== "" && n !== "." && n !== ".." && !n.includes("\0");
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates DIR, or takes an empty one of this user's (src/dest's checks), private. Returns whether hb created
 * it (then a failure removes it). */
function makeDir(dir: string): boolean {
  const target = checkDest(dir, []);
  const existed = existsSync(target);
  try {
    mkdirSync(target, { recursive: true, mode: 0o700 });
    chmodSync(target, 0o700);
  } catch (e) {
    throw new HbError("destination", `cannot create ${dir}: ${(e as Error).message}`);
  }
  return !existed;
}

function ioError(e: unknown, what: string): HbError {
  if (e instanceof HbError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOSPC" || code === "EDQUOT") return new HbError("io", `${what}: no space left on the device`, "extract where there is room for the whole backup");
  return new HbError("io", `${what}: ${(e as Error).message}`);
}

export async function extractStream(source: AsyncIterable<Uint8Array>, dir: string, o: StreamReaderOptions = {}): Promise<ExtractResult> {
  const created = makeDir(dir);
  const openFiles = new Map<string, { fh: FileHandle; next: number }>();
  const result: ExtractResult = { dir, files: 0, dirs: 0, bytes: 0, encrypted: false, compressed: false };
  try {
    const onHeader: StreamReaderOptions["onHeader"] = (h) => {
      result.compressed = (h.flags & Flag.zstd) !== 0;
      result.encrypted = (h.flags & Flag.aes256gcm) !== 0;
      o.onHeader?.(h);
    };
    for await (const c of readStream(source, { ...o, onHeader })) await apply(c);
    if (openFiles.size) throw new HbError("damaged", `the stream is damaged: ${[...openFiles.keys()][0]} was never finished`);
    fsyncTree(dir);
    return result;
  } catch (e) {
    for (const f of openFiles.values()) await f.fh.close().catch(() => {});
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    throw ioError(e, `cannot write ${dir}`);
  }

  async function apply(c: DecodedChunk): Promise<void> {
    const parts = c.path.split("/");
    if (!parts.every(NAME_OK)) throw bad(c, "names a path outside the backup");
    const target = join(dir, ...parts);
    try {
      if (c.kind === ChunkKind.dir) {
        mkdirSync(target, { mode: 0o700 });
        result.dirs++;
        return;
      }
      let f = openFiles.get(c.path);
      if (!f) {
        if (c.offset !== 0) throw bad(c, `starts at offset ${c.offset}: the file's earlier chunks are missing`);
        f = { fh: await open(target, CREATE_NEW, 0o600), next: 0 };
        openFiles.set(c.path, f);
      }
      if (c.offset !== f.next) throw bad(c, `is at offset ${c.offset}, where ${f.next} comes next (a chunk is missing or out of order)`);
      if (c.kind === ChunkKind.data) {
        for (let at = 0; at < c.data.length; ) at += (await f.fh.write(c.data, at, c.data.length - at, c.offset + at)).bytesWritten;
        f.next += c.data.length;
        result.bytes += c.data.length;
        return;
      }
      await f.fh.close();
      openFiles.delete(c.path);
      result.files++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw bad(c, "creates what an earlier chunk created");
      if (code === "ENOENT") throw bad(c, "comes before the chunk of its directory");
      throw ioError(e, `cannot write ${target}`);
    }
  }
}
