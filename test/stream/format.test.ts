// The stream library on real files: a backup-shaped directory through StreamWriter and extractStream comes
// back byte-exact, plain, compressed and encrypted; every kind of damage is an error naming the chunk, and a
// failed extract leaves nothing behind.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { HbError } from "../../src/errors";
import { StreamWriter, backupChunks, extractStream, readKeyFile, type EncodedChunk, type StreamWriterOptions } from "../../src/stream";
import { tempDir } from "../helpers/harness";

/** A directory shaped like an unprepared backup: copies, a journal, records, an empty file, state last. */
function makeBackup(dir: string): void {
  mkdirSync(join(dir, ".hb/data"), { recursive: true });
  const text = Buffer.from("INSERT INTO t VALUES (1, 'some row text that repeats');\n".repeat(60_000)); // ~3.3 MB, compressible
  writeFileSync(join(dir, ".hb/data/1"), text);
  writeFileSync(join(dir, ".hb/data/2"), randomBytes(2_500_000)); // incompressible, not a multiple of a chunk
  writeFileSync(join(dir, ".hb/data/3"), "");
  writeFileSync(join(dir, ".hb/journal"), randomBytes(70_000));
  writeFileSync(join(dir, ".hb/manifest.json"), '{"format":1}');
  writeFileSync(join(dir, "xtrabackup_info"), "tool_name = hb\n");
  writeFileSync(join(dir, ".hb/state"), "complete\n");
}

/** Path → SHA-256 of every file, and every directory, under dir. */
function tree(dir: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    const st = statSync(join(dir, path));
    if (st.isDirectory()) Object.assign(out, { [path]: "dir" }, tree(dir, path));
    else out[path] = createHash("sha256").update(readFileSync(join(dir, path))).digest("hex");
  }
  return out;
}

async function encode(dir: string, o: StreamWriterOptions): Promise<{ header: Uint8Array; chunks: EncodedChunk[] }> {
  const w = new StreamWriter(o);
  const chunks: EncodedChunk[] = [];
  for await (const c of w.encode(backupChunks(dir))) chunks.push(c);
  return { header: w.header.bytes, chunks };
}

async function* pieces(parts: Uint8Array[], size = 65_536): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(parts);
  for (let at = 0; at < all.length; at += size) yield all.subarray(at, at + size);
}

async function extractError(parts: Uint8Array[], out: string, key?: Uint8Array): Promise<HbError> {
  const e = await extractStream(pieces(parts), out, { key }).then(
    () => undefined,
    (e) => e,
  );
  expect(e).toBeInstanceOf(HbError);
  expect(existsSync(out)).toBe(false); // what the failed extract wrote is gone
  return e as HbError;
}

const KEY = new Uint8Array(randomBytes(32));

describe("stream round trip", () => {
  for (const [name, o] of [
    ["plain", {}],
    ["zstd 3", { compressLevel: 3 }],
    ["zstd 1 + AES-256-GCM", { compressLevel: 1, key: KEY }],
  ] as [string, StreamWriterOptions][]) {
    test(name, async () => {
      using t = tempDir("hb-stream");
      const src = join(t.path, "src");
      makeBackup(src);
      const { header, chunks } = await encode(src, o);
      const bytes = chunks.reduce((n, c) => n + c.bytes.length, header.length);
      const out = join(t.path, "out");
      const r = await extractStream(pieces([header, ...chunks.map((c) => c.bytes)]), out, { key: o.key });
      expect(tree(out)).toEqual(tree(src));
      expect(r.files).toBe(7);
      expect(statSync(out).mode & 0o777).toBe(0o700);
      expect(statSync(join(out, ".hb/journal")).mode & 0o777).toBe(0o600);
      // The state record is the last file: a stream cut anywhere before it has no "complete" backup.
      expect(chunks.at(-2)!.path).toBe(".hb/state");
      if (o.compressLevel) expect(bytes).toBeLessThan(3_300_000); // the text file compressed
      if (o.key) {
        const all = Buffer.concat([header, ...chunks.map((c) => c.bytes)]);
        expect(all.includes(Buffer.from("some row text"))).toBe(false);
        expect(all.includes(Buffer.from(o.key))).toBe(false); // the key is nowhere in the stream
        expect(all.includes(Buffer.from(Buffer.from(o.key).toString("hex")))).toBe(false);
      }
    });
  }
});

describe("damaged streams", () => {
  async function fixture(t: { path: string }, o: StreamWriterOptions = { compressLevel: 3, key: KEY }) {
    const src = join(t.path, "src");
    makeBackup(src);
    return encode(src, o);
  }
  const dataChunk = (chunks: EncodedChunk[]) => chunks.findIndex((c) => c.path === ".hb/data/2");

  test("a flipped payload byte names its chunk (encrypted: authentication; plain: CRC32C)", async () => {
    using t = tempDir("hb-stream");
    for (const o of [{ compressLevel: 3, key: KEY }, {}] as StreamWriterOptions[]) {
      const { header, chunks } = await fixture({ path: join(t.path, o.key ? "e" : "p") }, o);
      const i = dataChunk(chunks);
      const bytes = chunks.map((c) => c.bytes.slice());
      bytes[i]![bytes[i]!.length - 100]! ^= 1;
      const e = await extractError([header, ...bytes], join(t.path, o.key ? "e/out" : "p/out"), o.key);
      expect(e.exitCode).toBe(10);
      expect(e.message).toContain(`chunk ${i} (.hb/data/2)`);
      expect(e.message).toContain(o.key ? "fails authentication" : "does not match its CRC32C");
    }
  });

  test("a missing chunk, two swapped, a truncated stream", async () => {
    using t = tempDir("hb-stream");
    const { header, chunks } = await fixture(t);
    const bytes = chunks.map((c) => c.bytes);
    const i = dataChunk(chunks);
    let e = await extractError([header, ...bytes.slice(0, i), ...bytes.slice(i + 1)], join(t.path, "o1"), KEY);
    expect(e.message).toContain(`chunk ${i + 1} (.hb/data/2) comes where chunk ${i} belongs`);
    e = await extractError([header, ...bytes.slice(0, i), bytes[i + 1]!, bytes[i]!, ...bytes.slice(i + 2)], join(t.path, "o2"), KEY);
    expect(e.message).toContain(`comes where chunk ${i} belongs`);
    e = await extractError([header, ...bytes.slice(0, -1)], join(t.path, "o3"), KEY);
    expect(e.message).toContain("truncated");
    e = await extractError([header, ...bytes, new Uint8Array([0])], join(t.path, "o4"), KEY);
    expect(e.message).toContain("bytes follow its trailer");
  });

  test("chunks renumbered into place: authentication fails; plain, the file's offsets or the trailer catch it", async () => {
    using t = tempDir("hb-stream");
    const { header, chunks } = await fixture(t);
    const i = dataChunk(chunks);
    // Dropping chunk i and rewriting chunk i+1's index (and its header CRC) to i: the header is authenticated.
    const { encodeChunkHeader, parseChunkHeader } = await import("../../src/stream/format");
    const renumber = (c: Uint8Array, index: number) => {
      const h = parseChunkHeader(c);
      const head = encodeChunkHeader({ ...h, index });
      return Buffer.concat([head, c.subarray(h.bytes.length)]);
    };
    const bytes = chunks.map((c) => c.bytes);
    const shifted = [...bytes.slice(0, i), ...bytes.slice(i + 1).map((c, k) => renumber(c, i + k))];
    let e = await extractError([header, ...shifted], join(t.path, "o1"), KEY);
    expect(e.message).toContain(`chunk ${i} (.hb/data/2) fails authentication`);
    // Without encryption the file's offsets show the hole.
    const plain = await fixture({ path: join(t.path, "p") }, {});
    const pb = plain.chunks.map((c) => c.bytes);
    const j = dataChunk(plain.chunks);
    e = await extractError([plain.header, ...pb.slice(0, j), ...pb.slice(j + 1).map((c, k) => renumber(c, j + k))], join(t.path, "o2"));
    expect(e.message).toContain(`chunk ${j} (.hb/data/2) starts at offset 1048576: the file's earlier chunks are missing`);
    // A whole file's chunks left out: only the trailer knows.
    const k = plain.chunks.findIndex((c) => c.path === "xtrabackup_info");
    expect(plain.chunks[k + 1]!.path).toBe("xtrabackup_info"); // its data, then its end
    const left = [...pb.slice(0, k), ...pb.slice(k + 2).map((c, n) => renumber(c, k + n))];
    e = await extractError([plain.header, ...left], join(t.path, "o3"));
    expect(e.message).toContain("(the trailer) does not match the chunks before it");
  });

  test("a chunk of another stream under the same key, a wrong key, no key", async () => {
    using t = tempDir("hb-stream");
    const a = await fixture({ path: join(t.path, "a") });
    const b = await fixture({ path: join(t.path, "b") });
    const i = dataChunk(a.chunks);
    const mixed = a.chunks.map((c, k) => (k === i ? b.chunks[i]!.bytes : c.bytes));
    let e = await extractError([a.header, ...mixed], join(t.path, "o1"), KEY);
    expect(e.message).toContain(`chunk ${i} (.hb/data/2) fails authentication`);
    e = await extractError([a.header, ...a.chunks.map((c) => c.bytes)], join(t.path, "o2"), new Uint8Array(randomBytes(32)));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("wrong key");
    e = await extractError([a.header, ...a.chunks.map((c) => c.bytes)], join(t.path, "o3"));
    expect(e.message).toContain("the stream is encrypted");
  });

  test("any one bit flipped anywhere, plain or encrypted: exit 10, nothing left", async () => {
    using t = tempDir("hb-stream");
    for (const o of [{}, { compressLevel: 1, key: KEY }] as StreamWriterOptions[]) {
      const { header, chunks } = await fixture({ path: join(t.path, o.key ? "e" : "p") }, o);
      const whole = Buffer.concat([header, ...chunks.map((c) => c.bytes)]);
      for (let k = 0; k < 40; k++) {
        const bytes = Buffer.from(whole);
        // Half in the headers (stream header, chunk headers), half anywhere.
        const c = chunks[Math.floor(Math.random() * chunks.length)]!;
        const at = k % 2 ? Math.floor(Math.random() * bytes.length) : k % 4 ? Math.floor(Math.random() * header.length) : whole.indexOf(c.bytes.subarray(0, 44)) + Math.floor(Math.random() * 44);
        bytes[at]! ^= 1 << Math.floor(Math.random() * 8);
        const e = await extractError([bytes], join(t.path, "out"), o.key);
        expect([e.exitCode, at]).toEqual([10, at]);
      }
    }
  });

  test("a non-empty DIR is refused and kept", async () => {
    using t = tempDir("hb-stream");
    const { header, chunks } = await fixture(t, {});
    writeFileSync(join(t.path, "keep"), "x");
    const e = await extractStream(pieces([header, ...chunks.map((c) => c.bytes)]), t.path).catch((e) => e);
    expect((e as HbError).exitCode).toBe(7);
    expect(readFileSync(join(t.path, "keep"), "utf8")).toBe("x");
  });
});

describe("key files", () => {
  test("32 raw bytes or 64 hex digits, private, a regular file; anything else is refused with exit 2", () => {
    using t = tempDir("hb-key");
    const at = (name: string, content: string | Uint8Array, mode = 0o600) => {
      const f = join(t.path, name);
      writeFileSync(f, content, { mode });
      chmodSync(f, mode);
      return f;
    };
    const raw = new Uint8Array(randomBytes(32));
    expect(readKeyFile(at("raw", raw))).toEqual(raw);
    expect(readKeyFile(at("hex", `${Buffer.from(raw).toString("hex")}\n`))).toEqual(raw);
    const refused = (f: string, what: string) => {
      let e: unknown;
      try {
        readKeyFile(f);
      } catch (x) {
        e = x;
      }
      expect((e as HbError).exitCode).toBe(2);
      expect((e as HbError).message).toContain(what);
    };
    refused(at("group", raw, 0o640), "readable or writable by other users");
    refused(at("short", raw.subarray(0, 16)), "is 16 bytes");
    refused(at("nothex", "z".repeat(64)), "not 64 hex digits");
    refused(join(t.path, "missing"), "cannot be read");
    symlinkSync(join(t.path, "raw"), join(t.path, "link"));
    refused(join(t.path, "link"), "cannot be read");
    refused(t.path, "is not a regular file");
  });
});
