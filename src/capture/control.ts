// One capture on one server process: attach to its shim, begin, read state, end.
import type { Pointer } from "bun:ffi";
import { HbError } from "../errors";
import { CaptureState, ShimError, StatSlot, type CaptureStateName } from "../shim/abi";
import { controlApi } from "../shim/control-ffi";
import { cstr } from "../shim/library";

const stateName = (code: number): CaptureStateName =>
  (Object.keys(CaptureState) as CaptureStateName[]).find((name) => CaptureState[name] === code) ?? "idle";

export interface CaptureStatus {
  state: CaptureStateName;
  error: number;
  errorText: string;
  errno: number;
  epoch: number;
  head: number;
  tail: number;
  records: number;
  dataBytes: number;
  nsRecords: number;
  ringWaits: number;
  journalBytes: number;
  mmapCount: number;
  pid: number;
  uid: number;
  protocol: number;
  ringBytes: number;
  heartbeatAgeMs: number;
  ownerPid: number;
  unreadSkips: number; // writes left out of the journal: the copy reads them
  unreadBytes: number;
}

export const shimErrorText = (code: number) => String(controlApi().hb_strerror(code) ?? "unknown error");

export interface BeginOptions {
  roots: string[];
  /** Files under the roots whose changes are not journaled, all left out of the backup (./unjournaled.ts). */
  unjournaled?: string[];
  journalFd: number;
  ringBytes: number;
  leaseMs: number;
  maxWaitMs: number;
}

export class Capture {
  private constructor(private handle: Pointer | null) {}

  /** Attaches to the shim in process pid, or throws HbError("shim") saying what to do. */
  static attach(pid: number): Capture {
    const err = new Int32Array(1);
    const handle = controlApi().hb_ctl_attach(pid, err) as Pointer | null;
    if (!handle) {
      const code = err[0]!;
      const hint =
        code === ShimError.notFound
          ? "start the process with LD_PRELOAD set to the path `hb shim path` prints"
          : code === ShimError.access
            ? "run hb as root or as the server's user"
            : code === ShimError.owner
              ? "the shim creates it 0600 and owned by the server's user; something else made or changed this one"
              : undefined;
      throw new HbError("shim", `process ${pid}: ${shimErrorText(code)}`, hint);
    }
    return new Capture(handle);
  }

  private get h(): Pointer {
    if (!this.handle) throw new Error("capture handle used after detach");
    return this.handle;
  }

  begin(o: BeginOptions): void {
    const code = controlApi().hb_ctl_begin(this.h, cstr(o.roots.join("\n")), cstr((o.unjournaled ?? []).join("\n")), o.ringBytes, o.leaseMs, o.maxWaitMs, o.journalFd);
    if (code !== 0) throw new HbError("capture", `could not begin the capture: ${shimErrorText(code)}`);
  }

  /** Ends the capture; returns 0 or the shim's error code. */
  end(timeoutMs = 30_000, abort = false): number {
    return controlApi().hb_ctl_end(this.h, timeoutMs, abort ? 1 : 0);
  }

  /** The journal position reserved so far: a listing or copy that starts now reflects every record before it. */
  head(): number {
    return Number(controlApi().hb_ctl_head(this.h));
  }

  /**
   * Promises the shim that these files will be read whole later: their writes until then are left out of the
   * journal. Take the copy's journal position only after this returns (it waits for the calls in flight).
   */
  registerUnread(files: { dev: bigint; ino: bigint }[]): number {
    if (!files.length) return 0;
    const v = new BigUint64Array(files.flatMap((f) => [f.dev, f.ino]));
    return controlApi().hb_ctl_unread_add(this.h, v, files.length);
  }

  /** The shim's slot for a registered file (for the copy pool), or null. */
  unreadSlot(dev: bigint, ino: bigint): Pointer | null {
    return controlApi().hb_ctl_unread_slot(this.h, dev, ino) as Pointer | null;
  }

  /** Ends a registered file's window: its writes are journaled from now on (before a copy of part of it). */
  closeUnread(slot: Pointer): void {
    controlApi().hb_ctl_unread_close(slot);
  }

  status(): CaptureStatus {
    const v = new BigUint64Array(StatSlot.slots);
    controlApi().hb_ctl_stat(this.h, v, v.length);
    const slot = (name: keyof typeof StatSlot) => Number(v[StatSlot[name]]);
    return {
      state: stateName(slot("state")),
      error: slot("error"),
      errorText: shimErrorText(slot("error")),
      errno: slot("errno"),
      epoch: slot("epoch"),
      head: slot("head"),
      tail: slot("tail"),
      records: slot("records"),
      dataBytes: slot("dataBytes"),
      nsRecords: slot("nsRecords"),
      ringWaits: slot("ringWaits"),
      journalBytes: slot("journalBytes"),
      mmapCount: slot("mmapCount"),
      pid: slot("pid"),
      uid: slot("uid"),
      protocol: slot("protocol"),
      ringBytes: slot("ringBytes"),
      heartbeatAgeMs: slot("heartbeatAgeMs"),
      ownerPid: slot("ownerPid"),
      unreadSkips: slot("unreadSkips"),
      unreadBytes: slot("unreadBytes"),
    };
  }

  private evBuf = new Uint8Array(4 << 20);
  /** Namespace records journaled since the last call (raw journal records). */
  events(): Uint8Array {
    const n = controlApi().hb_ctl_events(this.h, this.evBuf, this.evBuf.length);
    return this.evBuf.slice(0, n);
  }

  /** "dev:ino" of every file the server had mapped writable and shared at the capture's begin or mapped since. */
  sharedMappings(): string[] {
    let v = new BigUint64Array(2 * 256);
    let n = controlApi().hb_ctl_mmaps(this.h, v, v.length / 2);
    if (n > v.length / 2) {
      v = new BigUint64Array(2 * n);
      n = Math.min(controlApi().hb_ctl_mmaps(this.h, v, n), n);
    }
    return Array.from({ length: n }, (_, i) => `${v[2 * i]}:${v[2 * i + 1]}`);
  }

  detach(): void {
    if (this.handle) controlApi().hb_ctl_detach(this.handle);
    this.handle = null;
  }
}
