// CRC32C is linear over GF(2): the CRC of a file after some of its bytes were overwritten follows from its CRC
// before and the CRCs of the old and new bytes alone, carried past the bytes that follow them. Prepare uses it
// to know each replayed file's CRC without reading the file again (docs/prepare.md).
import type { Crc } from "./crc-native";
import { crc32c } from "./crc32c";

const POLY = 0x82f63b78; // reflected: bit 31 is x^0, bit 0 is x^31

/** a·b mod P, both reflected. */
function mulModP(a: number, b: number): number {
  let p = 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) p ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

// X2N[k] = x^(2^k) mod P, squared up from x^1; 70 entries cover shifts of 2^67 bits.
const X2N = (() => {
  const t = [0x40000000];
  for (let k = 1; k < 70; k++) t.push(mulModP(t[k - 1]!, t[k - 1]!));
  return t;
})();

/** x^(8n) mod P: n zero bytes appended to a message multiply its raw CRC by this. */
function zeroBytesFactor(n: number): number {
  let p = 0x80000000; // x^0
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) if (n % 2) p = mulModP(X2N[k]!, p);
  return p;
}

/** The CRC register run from 0 over buf, without the initial and final inversion. */
const rawCrc = (buf: Uint8Array, crc: Crc) => ~crc(buf, 0xffffffff) >>> 0;

/**
 * The CRC32C of a file of the same length after `before` was replaced by `after` (same length) with `tail`
 * bytes of the file following them. `crc` computes a CRC32C continued from a seed (the shim's, or crc32c).
 */
export function crcAfterChange(
  fileCrc: number,
  before: Uint8Array,
  after: Uint8Array,
  tail: number,
  crc: Crc = crc32c,
): number {
  const change = rawCrc(before, crc) ^ rawCrc(after, crc); // the raw CRC of before XOR after
  return (fileCrc ^ mulModP(zeroBytesFactor(tail), change >>> 0)) >>> 0;
}
