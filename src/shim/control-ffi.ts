// The control API (shim/hb/api.h): attach to a server's shim, begin and end a capture, read its state.
// src/capture/control.ts is its one user.
import { FFIType } from "bun:ffi";
import { bindShim } from "./library";

const { i32, u32, u64, u64_fast, ptr, cstring, void: none } = FFIType;

const symbols = {
  hb_ctl_attach: { args: [i32, ptr], returns: ptr },
  hb_ctl_begin: { args: [ptr, ptr, ptr, u64, u32, u32, i32], returns: i32 },
  hb_ctl_end: { args: [ptr, u32, i32], returns: i32 },
  hb_ctl_head: { args: [ptr], returns: u64_fast },
  hb_ctl_stat: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_events: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_mmaps: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_unread_add: { args: [ptr, ptr, i32], returns: i32 },
  hb_ctl_unread_slot: { args: [ptr, u64, u64], returns: ptr },
  hb_ctl_unread_close: { args: [ptr], returns: none },
  hb_ctl_detach: { args: [ptr], returns: none },
  hb_strerror: { args: [i32], returns: cstring },
} as const;

let bound: ReturnType<typeof bindShim<typeof symbols>> | undefined;

/** The control API's functions. */
export const controlApi = () => (bound ??= bindShim(symbols));
