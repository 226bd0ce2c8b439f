// One capture on one server process: attach to its shim, begin, read state, end.
import { HbError } from "../errors";
import type { Pointer } from "bun:ffi";
import { cstr, shim, type Handle } from "../shim/ffi";

/** Codes of enum hb_err in shim/control.h. */
export const ShimError = {
  none: 0,
  ringFull: 1,
  journalIo: 2,
  lease: 3,
  barrier: 4,
  busy: 5,
  source: 6,
  path: 7,
  notFound: 8,
  access: 9,
  protocol: 10,
  args: 11,
  ended: 12,
  owner: 13,
  badBlock: 14,
} as const;

export const CaptureState = ["idle", "active", "failed", "expired", "starting", "ending"] as const;

export interface CaptureStatus {
  state: (typeof CaptureState)[number];
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
  mmapOverflow: boolean;
  pid: number;
  uid: number;
  protocol: number;
  ringBytes: number;
  heartbeatAgeMs: number;
  ownerPid: number;
  unreadSkips: number; // writes left out of the journal: the copy reads them
  unreadBytes: number;
}

export const shimErrorText = (code: number) => String(shim().hb_strerror(code) ?? "unknown error");

export interface BeginOptions {
  roots: string[];
  journalFd: number;
  ringBytes: number;
  leaseMs: number;
  maxWaitMs: number;
}

export class Capture {
  private constructor(private handle: Handle | null) {}

  /** Attaches to the shim in process pid, or throws HbError("shim") saying what to do. */
  static attach(pid: number): Capture {
    const err = new Int32Array(1);
    const handle = shim().hb_ctl_attach(pid, err) as Handle | null;
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

  private get h(): Handle {
    if (!this.handle) throw new Error("capture handle used after detach");
    return this.handle;
  }

  begin(o: BeginOptions): void {
    const code = shim().hb_ctl_begin(this.h, cstr(o.roots.join("\n")), o.ringBytes, o.leaseMs, o.maxWaitMs, o.journalFd);
    if (code !== 0) throw new HbError("capture", `could not begin the capture: ${shimErrorText(code)}`);
  }

  /** Ends the capture; returns 0 or the shim's error code. */
  end(timeoutMs = 30_000, abort = false): number {
    return shim().hb_ctl_end(this.h, timeoutMs, abort ? 1 : 0);
  }

  /** The journal position reserved so far: a listing or copy that starts now reflects every record before it. */
  head(): number {
    return Number(shim().hb_ctl_head(this.h));
  }

  /**
   * Promises the shim that these files will be read whole later: their writes until then are left out of the
   * journal. Take the copy's journal position only after this returns (it waits for the calls in flight).
   */
  registerUnread(files: { dev: bigint; ino: bigint }[]): number {
    if (!files.length) return 0;
    const v = new BigUint64Array(files.flatMap((f) => [f.dev, f.ino]));
    return shim().hb_ctl_unread_add(this.h, v, files.length);
  }

  /** The shim's slot for a registered file (for the copy pool), or null. */
  unreadSlot(dev: bigint, ino: bigint): Pointer | null {
    return shim().hb_ctl_unread_slot(this.h, dev, ino) as Pointer | null;
  }

  /** Ends a registered file's window: its writes are journaled from now on (before a copy of part of it). */
  closeUnread(slot: Pointer): void {
    shim().hb_ctl_unread_close(slot);
  }

  status(): CaptureStatus {
    const v = new BigUint64Array(21);
    shim().hb_ctl_stat(this.h, v, v.length);
    const n = (i: number) => Number(v[i]);
    return {
      state: CaptureState[n(0)] ?? "idle",
      error: n(1),
      errorText: shimErrorText(n(1)),
      errno: n(2),
      epoch: n(3),
      head: n(4),
      tail: n(5),
      records: n(6),
      dataBytes: n(7),
      nsRecords: n(8),
      ringWaits: n(9),
      journalBytes: n(10),
      mmapCount: n(11),
      mmapOverflow: n(12) !== 0,
      pid: n(13),
      uid: n(14),
      protocol: n(15),
      ringBytes: n(16),
      heartbeatAgeMs: n(17),
      ownerPid: n(18),
      unreadSkips: n(19),
      unreadBytes: n(20),
    };
  }

  private evBuf = new Uint8Array(4 << 20);
  /** Namespace records journaled since the last call (raw journal records). */
  events(): Uint8Array {
    const n = shim().hb_ctl_events(this.h, this.evBuf, this.evBuf.length);
    return this.evBuf.slice(0, n);
  }

  /** "dev:ino" of files with a writable shared mapping; null if there were too many to list. */
  sharedMappings(): string[] | null {
    const v = new BigUint64Array(128);
    const n = shim().hb_ctl_mmaps(this.h, v, 64);
    if (n < 0) return null;
    return Array.from({ length: n }, (_, i) => `${v[2 * i]}:${v[2 * i + 1]}`);
  }

  detach(): void {
    if (this.handle) shim().hb_ctl_detach(this.handle);
    this.handle = null;
  }
}
