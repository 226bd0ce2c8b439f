import { describe, expect, test } from "bun:test";
import { liveRedoRanges, REDO_HEADER_BYTES, REDO_MARGIN_BYTES } from "../../src/backup/innodb-redo";

const MiB = 1 << 20;

/** A 10.8+ redo header: format "Phys", first LSN, two checkpoint blocks. */
function header(first: bigint, checkpoints: [bigint, bigint], format = 0x50687973): Buffer {
  const b = Buffer.alloc(REDO_HEADER_BYTES);
  b.writeUInt32BE(format, 0);
  b.writeBigUInt64BE(first, 8);
  b.writeBigUInt64BE(checkpoints[0], 0x1000);
  b.writeBigUInt64BE(checkpoints[1], 0x2000);
  return b;
}

describe("the live part of InnoDB's redo log", () => {
  const size = 64 * MiB;
  const first = BigInt(REDO_HEADER_BYTES);

  test("header plus [oldest checkpoint, LSN + margin], block-aligned", () => {
    const ranges = liveRedoRanges(header(first, [first + 5_000_000n, first + 4_000_000n]), size, first + 6_000_000n)!;
    expect(ranges[0]).toEqual([0, REDO_HEADER_BYTES]);
    const [from, to] = ranges[1]!;
    expect(from % 4096).toBe(0);
    expect(from).toBeLessThanOrEqual(REDO_HEADER_BYTES + 4_000_000); // the older checkpoint, not the newer
    expect(from).toBeGreaterThan(REDO_HEADER_BYTES + 4_000_000 - 4096);
    expect(to).toBe(from + (REDO_HEADER_BYTES + 4_000_000 - from) + 2_000_000 + REDO_MARGIN_BYTES);
    expect(ranges).toHaveLength(2);
  });

  test("a live part that wraps around the ring is two ranges", () => {
    const capacity = BigInt(size - REDO_HEADER_BYTES);
    const checkpoint = first + 3n * capacity - 1_000_000n; // 1 MB before the end of the ring, third lap
    const ranges = liveRedoRanges(header(first, [checkpoint, checkpoint]), size, checkpoint + 3_000_000n)!;
    expect(ranges).toHaveLength(3);
    expect(ranges[1]![1]).toBe(size);
    expect(ranges[2]![0]).toBe(REDO_HEADER_BYTES);
    const copied = ranges.slice(1).reduce((n, [a, b]) => n + b - a, 0);
    expect(copied).toBeGreaterThanOrEqual(3_000_000 + REDO_MARGIN_BYTES);
    expect(copied).toBeLessThan(3_000_000 + REDO_MARGIN_BYTES + 4096);
  });

  test("the whole file when it cannot tell", () => {
    const ok = header(first, [first + 100n, first + 100n]);
    expect(liveRedoRanges(ok, size, first + 200n)).toBeDefined();
    expect(liveRedoRanges(header(first, [first, first], 0x50687974), size, first + 200n)).toBeUndefined(); // encrypted/other format
    expect(liveRedoRanges(header(first, [first + 300n, first + 400n]), size, first + 200n)).toBeUndefined(); // checkpoints after the LSN
    expect(liveRedoRanges(header(first, [first + 100n, first + 100n]), size, first + BigInt(size))).toBeUndefined(); // more than a lap live
    expect(liveRedoRanges(ok.subarray(0, 4096), size, first + 200n)).toBeUndefined(); // short read
    expect(liveRedoRanges(ok, 2 * MiB, first + 200n)).toBeUndefined(); // tiny log: not worth it
  });
});
