// A watcher of tasks in uninterruptible sleep (state D), system-wide, ten times a second, with their kernel
// stacks: what a stalled commit was waiting on (an fsync behind a journal commit, a page lock, the disk).
import { readdirSync, readFileSync } from "node:fs";

export interface DTask {
  at: number;
  comm: string;
  stack: string;
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

function scan(at: number, out: DTask[]) {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      const close = stat.lastIndexOf(")");
      if (stat.slice(close + 2, close + 3) !== "D") continue;
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const stack = read(`/proc/${pid}/task/${tid}/stack`)
        .split("\n")
        .map((l) => l.replace(/^\[<0>\] /, "").replace(/\+0x.*$/, ""))
        .filter(Boolean)
        .slice(0, 12)
        .join(" < ");
      out.push({ at, comm, stack });
    }
  }
}

export function watchDState() {
  const seen: DTask[] = [];
  const timer = setInterval(() => scan(Date.now(), seen), 100);
  return {
    seen,
    stop() {
      clearInterval(timer);
    },
  };
}
