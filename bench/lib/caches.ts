// Cold-cache timings: written-back first, then the page cache emptied (root only; false when not allowed).
import { writeFileSync } from "node:fs";

export function dropCaches(): boolean {
  Bun.spawnSync(["sync"]);
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}
