// The raw oracle under a hostile writer (renamer.c) that keeps renaming directories, with everything in them,
// within the source while hb backs it up. Nothing ever comes in from outside the roots: every rename is in the
// journal, so every backup must finish, and prepare byte-exact. Renamed slowly enough that an entry often
// rests for seconds under a directory the copier never listed, where only the journal says it is.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { compileC } from "../helpers/cc";
import { rawOracle } from "./raw-oracle";

const RUNS = Number(process.env.HB_RENAMES_RUNS ?? 12);

describe("raw oracle, directories renamed within the source", () => {
  test(`${RUNS} backups: none refused, each prepared exact`, async () => {
    const program = compileC(join(import.meta.dir, "renamer.c"), ["-pthread"]);
    const failures: string[] = [];
    for (let seed = 1; seed <= RUNS; seed++) {
      try {
        const { diffs } = await rawOracle({ seed, threads: 3, throttle: "1M", warmupOps: 1000, delayUs: 10_000, program });
        if (diffs.length) failures.push(`seed ${seed}: ${diffs.join("; ")}`);
      } catch (e) {
        failures.push(`seed ${seed}: ${(e as Error).message.split("\n").slice(0, 8).join(" ")}`);
      }
    }
    expect(failures).toEqual([]);
  }, RUNS * 60_000);
});
