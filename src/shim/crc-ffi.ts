// CRC32C with the CPU's crc32 instruction (shim/hb/crc32c.c): of a buffer, or of a file's first bytes.
import { FFIType } from "bun:ffi";
import { bindShim } from "./library";

const symbols = {
  hb_crc32c: { args: [FFIType.u32, FFIType.ptr, FFIType.u64], returns: FFIType.u32 },
  hb_file_crc32c: { args: [FFIType.i32, FFIType.u64], returns: FFIType.i64 },
} as const;

let bound: ReturnType<typeof bindShim<typeof symbols>> | undefined;

/** hb_crc32c(seed, buf, n) continues a CRC; hb_file_crc32c(fd, n) is that of fd's first n bytes, or -errno. */
export const crcApi = () => (bound ??= bindShim(symbols));
