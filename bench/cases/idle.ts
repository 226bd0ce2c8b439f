// Case 1: an idle server backed up by hb, by mariabackup and by cp -r, alternating, each from a cold page
// cache and timed until its copy is on disk (hb syncs; the others are followed by `sync`).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "../lib/harness";
import { dropCaches } from "../lib/caches";
import { summarize } from "../lib/stats";
import { cpCopy, hbBackup, mariabackupBackup, syncMs, type ToolRun } from "../lib/tools";

const TOOLS = { hb: hbBackup, mariabackup: mariabackupBackup, cp: cpCopy } as const;
export type IdleTool = keyof typeof TOOLS;

export async function idleCase(server: Server, work: string, rounds: number) {
  const runs: Record<IdleTool, ToolRun[]> = { hb: [], mariabackup: [], cp: [] };
  for (let r = 0; r < rounds; r++)
    for (const tool of Object.keys(TOOLS) as IdleTool[]) {
      const dest = join(work, `idle-${tool}-${r}`);
      dropCaches();
      const run = await TOOLS[tool](server, dest);
      if (tool !== "hb") run.wallMs += await syncMs();
      runs[tool].push(run);
      rmSync(dest, { recursive: true, force: true });
    }
  const wall = (t: IdleTool) => summarize(runs[t].map((x) => x.wallMs));
  return {
    coldCache: dropCaches(),
    wallMs: { hb: wall("hb"), mariabackup: wall("mariabackup"), cp: wall("cp") },
    hbVsMariabackup: wall("hb").median / wall("mariabackup").median,
    /** Throughput relative to cp: cp's time over hb's. */
    hbThroughputVsCp: wall("cp").median / wall("hb").median,
    hbPeakRssMiB: summarize(runs.hb.map((x) => x.peakRssMiB ?? Number.NaN)),
    mariabackupPeakRssMiB: summarize(runs.mariabackup.map((x) => x.peakRssMiB ?? Number.NaN)),
  };
}
