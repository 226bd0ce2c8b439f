// The raw oracle (test/oracle/raw-oracle.ts) through the stream: a writer's directory backed up with
// --stream --compress --encrypt-key-file while it writes, piped into hb extract, prepared: each file equals
// the writer's own replay, byte for byte.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/harness";
import { rawOracle } from "../oracle/raw-oracle";

describe("raw oracle through the stream", () => {
  for (const seed of [31, 32]) {
    test(`seed ${seed}: compressed, encrypted, extracted, prepared: equal to the writer's replay`, async () => {
      using t = tempDir("hb-stream-key");
      const key = join(t.path, "key");
      writeFileSync(key, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
      const { diffs, overlap } = await rawOracle({
        seed,
        threads: 2,
        throttle: "1M",
        warmupOps: 1500,
        delayUs: 20,
        stream: { backup: ["--compress", "--encrypt-key-file", key], extract: ["--encrypt-key-file", key] },
      });
      expect(diffs).toEqual([]);
      expect(overlap).toBeGreaterThan(500); // the writer went on while the copy ran
    }, 180_000);
  }
});
