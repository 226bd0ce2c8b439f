// Case 6: hb's peak RSS as the data grows: an idle backup of a server `scale` times the default size.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { filledServer } from "../lib/server";
import { hbBackup } from "../lib/tools";

export async function rssAtScale(size: { tables: number; rows: number }, scale: number, work: string) {
  const started = performance.now();
  await using server = await filledServer({ tables: size.tables * scale, rows: size.rows });
  const fillMs = performance.now() - started;
  const dest = join(work, `rss-x${scale}`);
  const run = await hbBackup(server, dest);
  rmSync(dest, { recursive: true, force: true });
  return { scale, tables: size.tables * scale, rows: size.rows, peakRssMiB: run.peakRssMiB, wallMs: Math.round(run.wallMs), fillMs: Math.round(fillMs) };
}
