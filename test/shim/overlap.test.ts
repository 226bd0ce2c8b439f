// Writers on the same files at once, through a backup (test/helpers/overlap-oracle.ts): the prepared
// backup equals the files as the writers left them.
import { describe, expect, test } from "bun:test";
import { overlapOracle } from "../helpers/overlap-oracle";

describe("overlapping writers", () => {
  test("four threads writing, appending, truncating and punching holes in two files: the backup is exact", async () => {
    const { differing, ops, leftOut } = await overlapOracle({ threads: 4, writeMs: 3000, delayUs: 1000 });
    expect(differing).toEqual([]);
    expect(ops).toBeGreaterThan(4000); // ~10000: 4 threads, 1 ms apart, for ~3 s
    expect(leftOut).toBeGreaterThan(0); // writes the copy read were left out of the journal too
  }, 120_000);
});
