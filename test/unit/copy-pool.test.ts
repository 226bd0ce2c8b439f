// The C copy pool on real files: whole and ranged copies land byte for byte where they should, holes read
// as zeros, and the CRC32C the pool reports (taken chunk by chunk as it writes) is the finished copy's,
// checked against the TypeScript CRC32C of the bytes read back. Big files go past the page cache (O_DIRECT),
// with ragged ends and odd offsets through it.
import { describe, expect, test } from "bun:test";
import { openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CopyPool } from "../../src/copy/pool";
import { crc32c } from "../../src/journal/crc32c";
import { run, tempDir } from "../helpers/harness";

const MiB = 1 << 20;

function randomFile(path: string, size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, Math.min(at + 65536, size)));
  writeFileSync(path, data);
  return data;
}

/** Bytes of the file in the page cache (util-linux fincore); reading the file puts them there. */
async function cachedBytes(path: string): Promise<number> {
  const r = await run(["fincore", "--bytes", "--noheadings", "--output", "RES", path]);
  if (r.code !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

async function copy(src: string, dst: string, ranges?: [number, number][]): Promise<{ bytes: number; crc: number }> {
  const pool = new CopyPool(2, 0);
  let result: { bytes: number; crc: number } | undefined;
  pool.submit(openSync(src, "r"), openSync(dst, "wx+", 0o600), src, (bytes, crc) => (result = { bytes, crc }), ranges);
  await pool.waitBelow(0);
  pool.close();
  return result!;
}

describe("copy pool", () => {
  test("a whole-file copy is exact and its CRC is the copy's", async () => {
    using tmp = tempDir("pool");
    const size = 20 * MiB + 12345; // several write-behind windows and a ragged end
    const data = randomFile(join(tmp.path, "src"), size);
    const r = await copy(join(tmp.path, "src"), join(tmp.path, "dst"));
    const copied = readFileSync(join(tmp.path, "dst"));
    expect(r.bytes).toBe(size);
    expect(Buffer.compare(copied, data)).toBe(0);
    expect(r.crc).toBe(crc32c(copied));
  });

  test("a ranged copy (out of order, overlapping) copies only the ranges, keeps the size, and its CRC counts the holes as zeros", async () => {
    using tmp = tempDir("pool");
    const size = 12 * MiB;
    const data = randomFile(join(tmp.path, "src"), size);
    // As for a wrapped redo log: header, the ring's end, then its start; plus one range overlapping another.
    // The third starts and ends off the block size: the copy goes on through the cache from there.
    const ranges: [number, number][] = [
      [0, 12288],
      [9 * MiB, size + MiB],
      [12288 + 100, 2 * MiB + 5],
      [MiB, 3 * MiB],
    ];
    const r = await copy(join(tmp.path, "src"), join(tmp.path, "dst"), ranges);
    const copied = readFileSync(join(tmp.path, "dst"));
    expect(r.bytes).toBe(size);
    expect(copied.length).toBe(size);
    const expected = new Uint8Array(size);
    for (const [from, to] of ranges) expected.set(data.subarray(from, Math.min(to, size)), from);
    expect(Buffer.compare(copied, expected)).toBe(0);
    expect(r.crc).toBe(crc32c(copied));
    expect(statSync(join(tmp.path, "dst")).blocks * 512).toBeLessThan(size); // the gap is a hole
  });

  test("a big file is copied past the page cache: neither the source nor the copy is left in it", async () => {
    using tmp = tempDir("pool");
    const [src, dst] = [join(tmp.path, "src"), join(tmp.path, "dst")];
    const size = 8 * MiB + 777;
    const data = randomFile(src, size);
    await run(["sync"]);
    await run(["dd", `if=${src}`, "iflag=nocache", "count=0", "status=none"]); // drops its pages
    expect(await cachedBytes(src)).toBe(0);
    const r = await copy(src, dst);
    // A copy through the cache leaves the source's 8 MiB there (the server's cache, evicted for it).
    expect({ src: await cachedBytes(src), dst: await cachedBytes(dst) }).toEqual({ src: 0, dst: 0 });
    expect(r.bytes).toBe(size);
    expect(Buffer.compare(readFileSync(dst), data)).toBe(0);
  });

  test("told the server is idle, the pool writes a big file through the page cache (behind, then dropped), reads it past", async () => {
    using tmp = tempDir("pool");
    const size = 24 * MiB + 777;
    const data = randomFile(join(tmp.path, "src"), size);
    await run(["sync"]);
    await run(["dd", `if=${join(tmp.path, "src")}`, "iflag=nocache", "count=0", "status=none"]);
    // The copy's pages in the cache, sampled while a 12 MiB/s copy runs: only written-through pages show.
    const copyWatched = async (name: string, through: boolean) => {
      const [src, dst] = [join(tmp.path, "src"), join(tmp.path, name)];
      const pool = new CopyPool(1, 12 * MiB);
      pool.writeThroughCache(through);
      let result: { bytes: number; crc: number } | undefined;
      pool.submit(openSync(src, "r"), openSync(dst, "wx+", 0o600), src, (bytes, crc) => (result = { bytes, crc }));
      let [mostCached, copying] = [0, true];
      const sampler = (async () => {
        for (; copying; await Bun.sleep(50)) mostCached = Math.max(mostCached, await cachedBytes(dst));
      })();
      await pool.waitBelow(0);
      copying = false;
      await sampler;
      pool.close();
      const left = { mostCached, srcCached: await cachedBytes(src), dstCached: await cachedBytes(dst) }; // before reading it back
      const copied = readFileSync(dst);
      expect(result!.bytes).toBe(size);
      expect(Buffer.compare(copied, data)).toBe(0);
      expect(result!.crc).toBe(crc32c(copied));
      return left;
    };
    const past = await copyWatched("past", false);
    const through = await copyWatched("through", true);
    expect(past.mostCached).toBeLessThan(64 * 1024); // at most the ragged end, which goes through the cache
    expect({ src: past.srcCached, dst: past.dstCached }).toEqual({ src: 0, dst: 0 });
    expect(through.mostCached).toBeGreaterThan(MiB); // written through the cache...
    expect(through.mostCached).toBeLessThan(size); // ...and behind: never the whole file
    expect({ src: through.srcCached, dst: through.dstCached }).toEqual({ src: 0, dst: 0 }); // reads past it; the copy dropped
  }, 20_000);

  test("an empty file's CRC is the empty CRC", async () => {
    using tmp = tempDir("pool");
    writeFileSync(join(tmp.path, "src"), "");
    const r = await copy(join(tmp.path, "src"), join(tmp.path, "dst"));
    expect(r).toEqual({ bytes: 0, crc: crc32c(new Uint8Array(0)) });
  });

  test("while a copy runs at a set rate, the CLI wakes a few times a second, not every 16 ms", async () => {
    using tmp = tempDir("pool");
    const size = 8 * MiB;
    const data = randomFile(join(tmp.path, "src"), size);
    const pool = new CopyPool(1, 4 * MiB); // ~2 s
    let copied = 0;
    pool.submit(openSync(join(tmp.path, "src"), "r"), openSync(join(tmp.path, "dst"), "wx+", 0o600), "src", (bytes) => (copied = bytes));
    const started = performance.now();
    await pool.waitBelow(0);
    const seconds = (performance.now() - started) / 1000;
    pool.close();
    expect(copied).toBe(size);
    expect(Buffer.compare(readFileSync(join(tmp.path, "dst")), data)).toBe(0);
    expect(seconds).toBeGreaterThan(1.2); // the rate held it back: there was time to nap
    // Naps of 1, 2, 4 … 128 ms: ~8 a second at most once grown; capped at 16 ms it would be ~60 a second.
    expect(pool.wakeups).toBeGreaterThan(3);
    expect(pool.wakeups).toBeLessThan(8 + 12 * seconds);
  }, 20_000);
});
