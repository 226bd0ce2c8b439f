// A file's CRC32C carried through overwrites of its bytes, without reading the rest of the file, against the
// CRC32C of the file as it is afterwards; with the JS CRC and with the shim's.
import { describe, expect, test } from "bun:test";
import { fastCrc } from "../../src/journal/crc-native";
import { crc32c } from "../../src/journal/crc32c";
import { crcAfterChange } from "../../src/journal/crc32c-change";

function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, Math.min(at + 65536, size)));
  return data;
}

describe("a CRC32C carried through changes", () => {
  test("equals the CRC32C of the changed bytes, for changes anywhere, of any length, one after another", async () => {
    for (const crc of [crc32c, await fastCrc()]) {
      const file = randomBytes(3 * (1 << 20) + 777); // tails up to 2^21 bytes: every bit of the shift's table up to there
      let carried = crc32c(file);
      const changes = [[0, 16384], [file.length - 5, 5], [1, 1], [12345, 70000], [2 << 20, 16384], [12345, 100], [0, file.length]];
      for (const [off, len] of changes as [number, number][]) {
        const after = randomBytes(len);
        carried = crcAfterChange(carried, file.slice(off, off + len), after, file.length - off - len, crc);
        file.set(after, off);
        expect(carried).toBe(crc32c(file));
      }
      // Bytes overwritten with themselves change nothing.
      expect(crcAfterChange(carried, file.subarray(10, 20), file.subarray(10, 20), file.length - 20, crc)).toBe(carried);
    }
  });
});
