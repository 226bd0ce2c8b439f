// All of `hb prepare`, for the command and for a restore from object storage: the recovery server settled
// before anything is touched, the phases (index.ts), then the seal that makes DEST a clean datadir.
import { sealDest } from "../dest";
import { killPoint } from "./fault";
import { prepareBackup, type PrepareResult } from "./index";
import { recoveryServer, type RecoverMode } from "./server";

export interface WholePrepareOptions {
  recover: RecoverMode;
  defaultsExtraFile?: string; // this host's server options for crash recovery (keys, plugin_dir)
  keepJournal?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function prepareWhole(dest: string, o: WholePrepareOptions): Promise<PrepareResult> {
  const recovery = recoveryServer(dest, o.recover, o.defaultsExtraFile);
  const result = await prepareBackup(dest, { json: o.json, quiet: o.quiet, recoveryServer: recovery });
  killPoint("seal");
  sealDest(result.dest, { keepJournal: o.keepJournal === true }); // also finishes a seal a killed run left
  return result;
}
