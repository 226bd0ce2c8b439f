// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every journal record. Slicing-by-8:
// eight table lookups per 8 bytes, which is what makes validating a large journal cheap in JS.

const POLY = 0x82f63b78;

// T[k*256 + b]: the CRC of byte b followed by k zero bytes.
const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
})();

/**
 * CRC32C of `buf`; pass an earlier result as `seed` to continue it over more bytes
 * (same convention as the shim's hb_crc32c).
 */
export function crc32c(buf: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  let i = 0;
  const n = buf.length;
  // Little-endian words without a DataView: the bytes are combined by hand, which the JIT keeps fast.
  for (const end8 = n - (n & 7); i < end8; i += 8) {
    const lo = (c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
    c =
      T[7 * 256 + (lo & 0xff)]! ^
      T[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      T[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      T[4 * 256 + (lo >>> 24)]! ^
      T[3 * 256 + buf[i + 4]!]! ^
      T[2 * 256 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
  }
  for (; i < n; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
