// Optional phase of prepare for a server backup: run the server's own crash recovery on DEST in a throwaway
// process, so the first start after restore is fast and a damaged image shows up now. The server's pid is
// recorded in DEST first, so that a prepare run after this one was killed can stop it (./leftover.ts).
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { log } from "../log";
import { withThrowawayServer } from "../server/throwaway";
import { killPoint } from "./fault";
import { forgetServer, recordServer } from "./leftover";
export { findServer } from "../server/throwaway";

/**
 * `keep`: DEST's top-level names that are the backup's; the server's own leftovers beside them are removed.
 * `extraArgs`: server options over backup-my.cnf's (hb prepare --defaults-extra-file).
 */
export async function recoverDatadir(dest: string, serverPath: string, keep: ReadonlySet<string>, extraArgs: string[] = []): Promise<{ server: string; durationMs: number }> {
  const started = performance.now();
  const spawned = (s: { pid: number; run: string }) => {
    recordServer(dest, s);
    killPoint("recover");
  };
  await withThrowawayServer(serverPath, dest, "crash recovery", async () => killPoint("recovered"), { onSpawn: spawned, extraArgs });
  forgetServer(dest);
  for (const name of readdirSync(dest)) if (!keep.has(name) && /^(ibtmp\d*|.*\.pid|mysql_upgrade_info)$/.test(name)) rmSync(join(dest, name), { force: true });
  const durationMs = Math.round(performance.now() - started);
  log.info(`crash recovery done in ${durationMs} ms with ${serverPath}`);
  return { server: serverPath, durationMs };
}
