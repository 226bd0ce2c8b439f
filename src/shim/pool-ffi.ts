// The copy pool (shim/hb/pool.c): threads that copy whole files at a set rate. src/copy/pool.ts is its one user.
import { FFIType } from "bun:ffi";
import { bindShim } from "./library";

const { i32, u64, u64_fast, ptr, void: none } = FFIType;

const symbols = {
  hb_pool_new: { args: [i32, u64, i32, u64], returns: ptr },
  hb_pool_submit_ranges: { args: [ptr, u64, i32, i32, ptr, i32, ptr], returns: i32 },
  hb_pool_poll: { args: [ptr, ptr, i32], returns: i32 },
  hb_pool_bytes: { args: [ptr], returns: u64_fast },
  hb_pool_set_rate: { args: [ptr, u64], returns: none },
  hb_pool_free: { args: [ptr], returns: none },
  hb_pool_cancel: { args: [ptr], returns: none },
  hb_pool_pause: { args: [ptr, i32], returns: none },
  hb_pool_gentle: { args: [ptr, i32], returns: none },
  hb_pool_direct_writes: { args: [ptr, i32], returns: none },
} as const;

let bound: ReturnType<typeof bindShim<typeof symbols>> | undefined;

/** The copy pool's functions. */
export const poolApi = () => (bound ??= bindShim(symbols));
