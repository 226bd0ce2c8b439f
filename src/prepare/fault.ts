// HB_PREPARE_KILL=<point>:<n>: a testing aid. Prepare SIGKILLs itself the n-th time it reaches `point`, so that a
// test can interrupt it at every step and prove that running it again finishes the job (docs/prepare.md,
// "Interrupted and run again"). Unset, every call is one comparison.
import { HbError } from "../errors";

/** Where prepare can be killed; each is counted from the start of the process. */
export const KILL_POINTS = [
  "tree", // before each entry of .hb/tree is made (directory, baseline moved or copied, hard link, symlink)
  "write", // in the middle of each applied WRITE: half of its bytes are written
  "trunc", // before each applied TRUNC
  "falloc", // each applied FALLOC: before it, or for a collapse or insert, after its bytes moved and before the size
  "chmod", // before each file's mode is set
  "move", // before each top-level entry moves from .hb/tree into DEST
  "place", // before each file placement moves (its .isl or symlink already gone): src/prepare/placement.ts
  "hash", // before each file of the hash list is read
  "recover", // once the recovery server is started (it is still recovering)
  "recovered", // once the recovery server is ready for connections, before it is shut down
  "phase", // before each phase begins (n counts phases run)
  "done", // after each phase's work, before its marker is written
  "seal", // once the state says prepared, before DEST is sealed (src/dest/seal.ts)
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

const [wanted, nth] = (process.env.HB_PREPARE_KILL ?? "").split(":");
const reached = new Map<string, number>();

/** A usage error for a point that does not exist (a typo would make a test pass without killing anything). */
export function checkKillPoint(): void {
  if (!wanted) return;
  if (!(KILL_POINTS as readonly string[]).includes(wanted) || !/^\d+$/.test(nth ?? ""))
    throw new HbError("usage", `HB_PREPARE_KILL=${process.env.HB_PREPARE_KILL}: expected <point>:<n>, point one of ${KILL_POINTS.join(", ")}`);
}

/** Kills this process the n-th time it reaches `point`, after `partly` (half of a write, say) if given. */
export function killPoint(point: KillPoint, partly?: () => void): void {
  if (point !== wanted) return;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  if (String(n) !== nth) return;
  partly?.();
  process.kill(process.pid, "SIGKILL");
}
