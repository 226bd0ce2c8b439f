// The layout cases where InnoDB or Aria keep files outside the datadir (docs/layout.md). Each case names
// directories of the source under the case's own directory and new ones beside the restored datadir, which hb
// restore learns from the target's option file (--defaults-file), never from the source.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CasePlace, LayoutCase } from "../helpers/layout-case";
import { checkServerOnPrepared, databasesOf } from "./prepared-dest";
import { both, rowTable } from "./tables";

const tables = both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria"));
const pathArgs = (options: Record<string, string>) => Object.entries(options).map(([k, v]) => `--${k}=${v}`);

/** The restored server's option file, beside its datadir (the case's directory is the source's, compared before and after). */
function optionFile(at: CasePlace, options: Record<string, string>): string[] {
  const file = `${at.datadir}.cnf`;
  writeFileSync(file, `[mysqld]\n${Object.entries(options).map(([k, v]) => `${k}=${v}`).join("\n")}\n`);
  return ["--defaults-file", file];
}

/**
 * `paths`: option → directory name under the case's directory for the source; the restored server's is beside
 * its datadir. `fixed`: options the same for both. The prepared backup must start clean as a datadir.
 */
export function directoryCase(paths: Record<string, string>, fixed: string[] = []): LayoutCase {
  const where = (at: CasePlace) =>
    Object.fromEntries(Object.entries(paths).map(([k, name]) => [k, at.role === "source" ? join(at.dir, name) : `${at.datadir}-${name}`]));
  let databases: string[] = [];
  return {
    ...sourceOnly(paths, fixed),
    serverArgs: (at) => [...pathArgs(where(at)), ...fixed],
    restoreArgs: (at) => optionFile(at, where(at)),
    setup: async (db) => {
      await tables.setup(db);
      databases = await databasesOf(db);
    },
    afterPrepare: (dest) => checkServerOnPrepared(dest, databases),
  };
}

/**
 * The same source for mariabackup, the control: its --copy-back puts every file into the datadir, so the
 * restored server keeps everything there.
 */
export function sourceOnly(paths: Record<string, string>, fixed: string[] = []): LayoutCase {
  const where = (at: CasePlace) => Object.fromEntries(Object.keys(paths).map((k) => [k, at.role === "source" ? join(at.dir, paths[k]!) : at.datadir!]));
  const args = (at: CasePlace) => [...pathArgs(where(at)), ...fixed];
  return {
    files: (dir) => {
      for (const name of Object.values(paths)) mkdirSync(join(dir, name), { recursive: true });
    },
    installArgs: (dir) => args({ role: "source", dir }),
    serverArgs: args,
    ...tables,
  };
}
