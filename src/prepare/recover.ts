// Optional last step of prepare for a server backup: run the server's own crash recovery on DEST in a
// throwaway process, so the first start after restore is fast and a damaged image shows up now.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { log } from "../log";
import { withThrowawayServer } from "../server/throwaway";
export { findServer } from "../server/throwaway";

/** `extraArgs`: server options over backup-my.cnf's (hb prepare --defaults-extra-file). */
export async function recoverDatadir(dest: string, serverPath: string, extraArgs: string[] = []): Promise<{ server: string; durationMs: number }> {
  const started = performance.now();
  const before = new Set(readdirSync(dest));
  await withThrowawayServer(serverPath, dest, "crash recovery", async () => {}, { extraArgs });
  // The server may leave files of its own run behind; DEST keeps only what the backup had.
  for (const name of readdirSync(dest)) if (!before.has(name) && /^(ibtmp\d*|.*\.pid|mysql_upgrade_info)$/.test(name)) rmSync(join(dest, name), { force: true });
  const durationMs = Math.round(performance.now() - started);
  log.info(`crash recovery done in ${durationMs} ms with ${serverPath}`);
  return { server: serverPath, durationMs };
}
