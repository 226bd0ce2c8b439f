// The raw oracle over 20 seeds (HB_ORACLE_SEEDS and HB_ORACLE_FIRST_SEED to change), and with three threads.
// Every run also leaves out of the journal the writes its copy reads (shim/common/unread.c). The odd seeds copy every
// file of 4 KiB and more with O_DIRECT, as hb copies files of 1 MiB and more (the writer's stay under 1 MiB).
// Seeds 2, 6, 10, ... write the journal through the page cache, hb's way where O_DIRECT is refused.
import { describe, expect, test } from "bun:test";
import { rawOracle } from "./raw-oracle";

const SEEDS = Number(process.env.HB_ORACLE_SEEDS ?? 20);
const FIRST = Number(process.env.HB_ORACLE_FIRST_SEED ?? 1);

describe("raw oracle", () => {
  for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
    const direct = seed % 2 === 1;
    const journalBuffered = seed % 4 === 2;
    const how = direct ? " (O_DIRECT copy)" : journalBuffered ? " (journal through the cache)" : "";
    test(`seed ${seed}${how}: the prepared backup equals the writer's replay`, async () => {
      const { diffs, overlap } = await rawOracle({
        seed,
        threads: 1,
        throttle: "1M",
        warmupOps: 1500,
        delayUs: 20,
        directMin: direct ? 4096 : undefined,
        journalBuffered,
      });
      expect(diffs).toEqual([]);
      expect(overlap).toBeGreaterThan(1000); // thousands of ops ran while the copy did
    }, 180_000);
  }

  test("three threads on disjoint subtrees, each exact", async () => {
    const { diffs, overlap, leftOut } = await rawOracle({ seed: 4242, threads: 3, throttle: "2M", warmupOps: 1000, delayUs: 20 });
    expect(diffs).toEqual([]);
    expect(overlap).toBeGreaterThan(3000);
    expect(leftOut).toBeGreaterThan(0); // writes the copy read were left out of the journal, and it is still exact
  }, 180_000);
});
