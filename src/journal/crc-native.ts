// The shim's CRC32C uses the CPU's crc32 instruction: about 6 GB/s against 1.2 GB/s for the table in JS,
// which is most of the time a large journal takes to validate. Optional: without the shim (a source tree
// that was never built) the JS one is used.
import { crc32c } from "./crc32c";

/** CRC32C of buf, continued from seed (an earlier result) when given. */
export type Crc = (buf: Uint8Array, seed?: number) => number;

let native: Crc | null | undefined;

/** The fastest CRC32C available, checked against the JS one before it is trusted. */
export async function fastCrc(): Promise<Crc> {
  if (native === undefined) {
    native = null;
    try {
      const { crcApi } = await import("../shim/crc-ffi");
      const f = crcApi().hb_crc32c;
      const fn: Crc = (buf, seed = 0) => f(seed, buf, buf.length) >>> 0;
      const probe = new TextEncoder().encode("123456789 hb journal");
      if (fn(probe) === crc32c(probe) && fn(probe, 0xffffffff) === crc32c(probe, 0xffffffff) && fn(new Uint8Array(0)) === 0)
        native = fn;
    } catch {}
  }
  return native ?? crc32c;
}
