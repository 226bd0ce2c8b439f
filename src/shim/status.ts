// Whether a process runs with the shim, and what its capture is doing: for `hb shim status`.
import { HbError } from "../errors";
import { SHIM_PROTOCOL } from "../version";
import { Capture, type CaptureStatus } from "../capture/control";

export interface ShimStatus {
  pid: number;
  shim: boolean;
  protocol?: number;
  compatible?: boolean;
  capture?: Omit<CaptureStatus, "pid" | "protocol">;
  problem?: string;
}

export function shimStatus(pid: number): ShimStatus {
  try {
    const cap = Capture.attach(pid);
    try {
      const { pid: _p, protocol, ...capture } = cap.status();
      return { pid, shim: true, protocol, compatible: protocol === SHIM_PROTOCOL, capture };
    } finally {
      cap.detach();
    }
  } catch (e) {
    if (e instanceof HbError) return { pid, shim: false, problem: e.message.replace(/^process \d+: /, "") };
    throw e;
  }
}
