// The enums hb reads from the shim, as shim/common/control.h and shim/hb/api.h declare them (the journal's
// record format has its own twin: src/journal/format.ts). test/unit/shim-abi.test.ts compiles the headers and
// fails when a name or a value differs on one side.

/** enum hb_err: HB_E_RING_FULL is ringFull. */
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
  maps: 15,
} as const;

/** enum hb_state: HB_IDLE is idle. */
export const CaptureState = {
  idle: 0,
  active: 1,
  failed: 2,
  expired: 3,
  starting: 4,
  ending: 5,
} as const;
export type CaptureStateName = keyof typeof CaptureState;

/** enum hb_stat_slot, what hb_ctl_stat fills in: HB_STAT_DATA_BYTES is dataBytes. HB_STAT_SLOTS is `slots`. */
export const StatSlot = {
  state: 0,
  error: 1,
  errno: 2,
  epoch: 3,
  head: 4,
  tail: 5,
  records: 6,
  dataBytes: 7,
  nsRecords: 8,
  ringWaits: 9,
  journalBytes: 10,
  mmapCount: 11,
  pid: 12,
  uid: 13,
  protocol: 14,
  ringBytes: 15,
  heartbeatAgeMs: 16,
  ownerPid: 17,
  unreadSkips: 18,
  unreadBytes: 19,
  slots: 20,
} as const;

/** HB_UNJOURNALED_BYTES: room in the control block for the paths a capture leaves out, '\n'-joined. */
export const UNJOURNALED_BYTES = 32 << 10;
