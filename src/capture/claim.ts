// One backup per server, however close together two start: before BACKUP STAGE START, hb takes an exclusive
// flock(2) on the server's control block (its hb-ctl memfd, opened through /proc/PID/fd). Both hb processes
// reach the same inode, so exactly one wins; the kernel drops the lock when the winner exits, even by SIGKILL.
// The loser names the winner from /proc/locks instead of waiting at BACKUP STAGE START for it.
import { closeSync, fstatSync, openSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { HbError } from "../errors";
import { tryLockExclusive } from "../libc";
import { log } from "../log";
import type { Capture } from "./control";

export interface Claim {
  release(): void;
}

function controlBlockPath(pid: number): string {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("/memfd:hb-ctl")) return `/proc/${pid}/fd/${fd}`;
    } catch {}
  }
  throw new HbError("shim", `process ${pid}: its hb-ctl control block went away`);
}

/** The process holding a flock on inode `ino`, from /proc/locks ("1: FLOCK ADVISORY WRITE PID MAJ:MIN:INO 0 EOF"). */
function flockHolder(ino: number): number | undefined {
  for (const line of readFileSync("/proc/locks", "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === "FLOCK" && f[5]?.split(":")[2] === String(ino) && Number(f[4]) !== process.pid) return Number(f[4]);
  }
  return undefined;
}

/** Claims the server (pid) for this backup, or throws naming the backup that holds it. Call after attaching. */
export function claimServer(pid: number): Claim {
  const fd = openSync(controlBlockPath(pid), "r");
  if (!tryLockExclusive(fd)) {
    const holder = flockHolder(fstatSync(fd).ino);
    closeSync(fd);
    throw new HbError(
      "capture",
      `another backup (hb pid ${holder ?? "unknown"}) is running on this server`,
      "wait for it to finish; one backup at a time per server",
    );
  }
  return { release: () => closeSync(fd) };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

/**
 * Once claimed: a capture still active is either a backup whose hb died (SIGKILL) and whose lease has not run
 * out yet, which ends within the lease (waited for, so that the same command run again right away works), or
 * one run by an hb that takes no claim (older), which is refused by name.
 */
export async function earlierCaptureGone(capture: Capture, leaseMs: number): Promise<void> {
  const s = capture.status();
  if (s.state !== "active" || s.heartbeatAgeMs >= leaseMs) return;
  if (alive(s.ownerPid)) throw new HbError("capture", `another backup (hb pid ${s.ownerPid}) is running on this server`, "wait for it to finish");
  log.info(`the capture of a backup whose hb (pid ${s.ownerPid}) is gone ends with its lease, in ${leaseMs - s.heartbeatAgeMs} ms`);
  await Bun.sleep(leaseMs - s.heartbeatAgeMs + 50);
}
