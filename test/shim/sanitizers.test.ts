// The shim inside writers under AddressSanitizer, helgrind and valgrind: the raw oracle or the overlap
// oracle still holds and the tools report nothing. Each run is a full capture, copy and prepare.
import { describe, expect, test } from "bun:test";
import { ASAN, asanShim, asanWriter, libasan } from "../helpers/variants";
import { SHIM } from "../helpers/harness";
import { overlapOracle, overlapWriter } from "../helpers/overlap-oracle";
import { rawOracle } from "../oracle/raw-oracle";

describe("sanitizers", () => {
  test("AddressSanitizer: shim and writer clean through a capture", async () => {
    const { diffs, overlap, writerStderr } = await rawOracle({
      seed: 77,
      threads: 2,
      throttle: "1M",
      warmupOps: 500,
      delayUs: 50,
      writer: asanWriter(),
      preload: `${libasan()} ${asanShim()}`,
      env: { ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:exitcode=86" },
    });
    expect(writerStderr).not.toContain("AddressSanitizer");
    expect(writerStderr).not.toContain("LeakSanitizer");
    expect(diffs).toEqual([]);
    expect(overlap).toBeGreaterThan(100);
  }, 180_000);

  test("AddressSanitizer: shim and writers clean while four threads overlap on the same files", async () => {
    const { differing, ops, writerStderr } = await overlapOracle({
      threads: 4,
      writeMs: 2000,
      delayUs: 1000,
      writer: overlapWriter(ASAN),
      preload: `${libasan()} ${asanShim()}`,
      env: { ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:exitcode=86" },
    });
    expect(writerStderr).not.toContain("AddressSanitizer");
    expect(writerStderr).not.toContain("LeakSanitizer");
    expect(differing).toEqual([]);
    expect(ops).toBeGreaterThan(1000);
  }, 180_000);

  test("helgrind: the shim's locks are always taken in one order, and the overlap oracle holds under it", async () => {
    const { differing, writerStderr } = await overlapOracle({
      threads: 3,
      writeMs: 1500,
      delayUs: 0,
      throttle: "512K", // the finale is slow under helgrind
      wrap: ["valgrind", "--tool=helgrind", "--quiet", "--error-exitcode=99"], // any report fails the writer's exit
    });
    expect(writerStderr).not.toContain("lock order");
    expect(writerStderr).not.toContain("Possible data race");
    expect(differing).toEqual([]);
  }, 180_000);

  test("valgrind: no errors in a writer running with the shim through a capture", async () => {
    const { diffs, overlap, writerStderr } = await rawOracle({
      seed: 78,
      threads: 1,
      throttle: "256K",
      warmupOps: 200,
      delayUs: 0,
      wrap: ["valgrind", "--error-exitcode=99", "--quiet", "--trace-children=no"],
      preload: SHIM,
    });
    expect(writerStderr).not.toMatch(/==\d+== (Invalid|Conditional|Syscall param|Mismatched)/);
    expect(diffs).toEqual([]);
    expect(overlap).toBeGreaterThan(50);
  }, 180_000);
});
