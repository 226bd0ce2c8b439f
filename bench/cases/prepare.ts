// Case 4: prepare time on the backups taken under load: hb without and with the server's crash recovery
// (each on its own copy of the backup), and mariabackup --prepare, each from a cold page cache.
import { run } from "../../test/helpers/harness";
import { summarize } from "../lib/stats";
import { hbPrepare, mariabackupPrepare } from "../lib/tools";
import { dropCaches } from "../lib/caches";

export async function prepareCase(hbDests: string[], mariabackupDests: string[]) {
  const noRecover: number[] = [];
  const recover: number[] = [];
  const mariabackup: number[] = [];
  for (const dest of hbDests) {
    await run(["cp", "-a", dest, `${dest}-r`]);
    dropCaches();
    noRecover.push(await hbPrepare(dest, false));
    dropCaches();
    recover.push(await hbPrepare(`${dest}-r`, true));
  }
  for (const dest of mariabackupDests) {
    dropCaches();
    mariabackup.push(await mariabackupPrepare(dest));
  }
  const s = { hbNoRecover: summarize(noRecover), hbRecover: summarize(recover), mariabackup: summarize(mariabackup) };
  return { ms: s, hbRecoverVsMariabackup: s.hbRecover.median / s.mariabackup.median, hbNoRecoverVsMariabackup: s.hbNoRecover.median / s.mariabackup.median };
}
