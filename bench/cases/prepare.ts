// Case 4: prepare time on the backups taken under load: hb without and with the server's crash recovery
// (each on its own copy of the backup), and mariabackup --prepare, each from a cold page cache. Crash
// recovery's time follows the redo it applies (the server's checkpoint age at the backup's consistent
// point), so each backup's redo is measured too, and recovery's time per MiB of it.
import { run } from "../lib/harness";
import { dropCaches } from "../lib/caches";
import { redoToApplyBytes } from "../lib/redo";
import { summarize } from "../lib/stats";
import { hbPrepare, mariabackupPrepare } from "../lib/tools";

const MIB = 2 ** 20;

export async function prepareCase(hbDests: string[], mariabackupDests: string[]) {
  const noRecover: number[] = [];
  const recover: number[] = [];
  const mariabackup: number[] = [];
  const hbRedo: number[] = [];
  const mbRedo: number[] = [];
  for (const dest of hbDests) {
    await run(["cp", "-a", dest, `${dest}-r`]);
    dropCaches();
    noRecover.push(await hbPrepare(dest, false));
    hbRedo.push(redoToApplyBytes(dest) / MIB); // the header as the journal's replay left it: as at the lock
    dropCaches();
    recover.push(await hbPrepare(`${dest}-r`, true));
  }
  for (const dest of mariabackupDests) {
    mbRedo.push(redoToApplyBytes(dest) / MIB);
    dropCaches();
    mariabackup.push(await mariabackupPrepare(dest));
  }
  const perMiB = (ms: number[], mib: number[]) => summarize(ms.map((m, i) => m / mib[i]!));
  const s = { hbNoRecover: summarize(noRecover), hbRecover: summarize(recover), mariabackup: summarize(mariabackup) };
  return {
    ms: s,
    redoMiB: { hb: summarize(hbRedo), mariabackup: summarize(mbRedo) },
    msPerRedoMiB: { hbRecover: perMiB(recover, hbRedo), mariabackup: perMiB(mariabackup, mbRedo) },
    hbRecoverVsMariabackup: s.hbRecover.median / s.mariabackup.median,
    hbNoRecoverVsMariabackup: s.hbNoRecover.median / s.mariabackup.median,
  };
}
