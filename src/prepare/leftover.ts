// The recovery server of a prepare that was killed can outlive it where the kernel's parent-death signal is
// not there to stop it (no setpriv). Its pid and private directory are recorded in `.hb/recovery-server` before
// it touches DEST, and the next prepare stops it and removes both before anything else touches DEST.
import { closeSync, constants, fsyncSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { workDir } from "../dest";
import { HbError } from "../errors";
import { log } from "../log";
import type { Spawned } from "../server/throwaway";

const file = (dest: string) => join(workDir(dest), "recovery-server");

/** When the process started, in clock ticks since boot: with the pid, names one process for good. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19]; // field 22 of stat(5); a zombie is as good as gone
  } catch {
    return undefined;
  }
}

export function recordServer(dest: string, s: Spawned): void {
  const fd = openSync(file(dest), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify({ pid: s.pid, start: startTime(s.pid), run: s.run }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function forgetServer(dest: string): void {
  rmSync(file(dest), { force: true });
}

/** Stops the recovery server an earlier prepare of DEST left running, if any, and removes its directory. */
export async function stopLeftover(dest: string): Promise<void> {
  let rec: { pid?: unknown; start?: unknown; run?: unknown };
  try {
    rec = JSON.parse(readFileSync(file(dest), "utf8"));
  } catch {
    return forgetServer(dest); // none, or cut short before its server started
  }
  const pid = typeof rec.pid === "number" && rec.pid > 1 ? rec.pid : undefined;
  if (pid && startTime(pid) !== undefined && startTime(pid) === rec.start) {
    log.warn(`stopping the recovery server (pid ${pid}) that an interrupted prepare left running on ${dest}`);
    for (const target of [-pid, pid])
      try {
        process.kill(target, "SIGKILL");
      } catch {}
    for (let waited = 0; startTime(pid) === rec.start; waited += 50) {
      if (waited > 30_000) throw new HbError("destination", `the recovery server (pid ${pid}) left on ${dest} does not stop`, "kill it, then run prepare again");
      await Bun.sleep(50);
    }
  }
  // Only a directory of the kind the throwaway server makes: the record is not trusted to name anything else.
  if (typeof rec.run === "string" && dirname(rec.run) === tmpdir() && basename(rec.run).startsWith("hb-server-"))
    rmSync(rec.run, { recursive: true, force: true });
  forgetServer(dest);
}
