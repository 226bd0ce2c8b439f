// A DEST that another process has open or works in is not ours to read or change: a recovery server a killed
// prepare left behind, a second prepare, a server someone started on the backup. /proc shows every process's
// working directory and open files (all of them as root; as another user, that user's own processes only).
// hb's own ancestors do not count: the shell that ran `cd DEST && hb verify .` waits for hb.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { sep } from "node:path";
import { HbError } from "../errors";

export interface DestUser {
  pid: number;
  command: string;
  uses: string; // its working directory, or a file it has open
}

const link = (path: string) => {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // gone meanwhile, or not ours to look at
  }
};

/** This process and the processes it descends from. */
function lineage(): Set<number> {
  const pids = new Set<number>();
  for (let pid = process.pid; pid > 1 && !pids.has(pid); ) {
    pids.add(pid);
    try {
      pid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      break;
    }
  }
  return pids;
}

/** Every other process whose working directory or root is in `dir`, or that has a file in it open. */
export function processesUsing(dir: string): DestUser[] {
  const real = realpathSync(dir);
  const inside = (p: string | undefined) => p !== undefined && (p === real || p.startsWith(real + sep));
  const ours = lineage();
  const users: DestUser[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || ours.has(Number(name))) continue;
    const proc = `/proc/${name}`;
    let uses = [link(`${proc}/cwd`), link(`${proc}/root`)].find(inside);
    if (!uses) {
      let fds: string[] = [];
      try {
        fds = readdirSync(`${proc}/fd`);
      } catch {}
      uses = fds.map((fd) => link(`${proc}/fd/${fd}`)).find(inside);
    }
    if (uses) users.push({ pid: Number(name), command: link(`${proc}/exe`) ?? "?", uses });
  }
  return users;
}

/** Refuses (exit 7) a DEST that another process has open or works in. */
export function refuseInUse(dest: string, doing: string): void {
  const users = processesUsing(dest);
  if (!users.length) return;
  const shown = users.slice(0, 5).map((u) => `pid ${u.pid} (${u.command}) uses ${u.uses}`).join("; ");
  throw new HbError("destination", `cannot ${doing} ${dest}: another process has it open or works in it: ${shown}`, "stop that process first");
}
