// A server that would not start (or stop) on a backup for want of a plugin or a key is not a damaged backup:
// it names what is missing, and the exit class is `plugin` (docs/prepare.md "Plugins and keys").
import { HbError } from "../errors";

// Error-log lines of MariaDB 10.11 that mean a plugin or key was not available (checked against its logs).
const MISSING = [
  /Obtaining redo log encryption key version \d+ failed/,
  /encryption key management plugin was not found/,
  /Couldn't load plugin named '[^']*' with soname '[^']*'/,
  /Can't open shared library '[^']*'/,
  /Plugin '(?!InnoDB')[^']*' (init function returned error|registration as .* failed)/,
  /is encrypted but encryption service or used key_id \d+ is not available/,
];
// Said before the lines above when a key file is not there or not right (file_key_management's own words):
// the cause, so named first.
const CAUSE = /File '[^']*' not found|System key id \d+ is missing|Cannot decrypt .*\. Wrong key\?|file-key-management-filename is not set|Cannot read .*filekey/;

export const SUPPLY_HINT =
  "backup-my.cnf in the backup names the plugins and key files the source used; give this host's with " +
  "hb prepare --defaults-extra-file FILE (a [mysqld] group: file_key_management_filename=/path/keys, plugin_dir=..., " +
  "or any option left out of backup-my.cnf as a secret), or install the plugin here";

/** A `plugin` error when `errorLog` shows a missing plugin or key; undefined when it shows something else. */
export function missingPluginError(what: string, errorLog: string): HbError | undefined {
  const all = errorLog.split("\n");
  if (!all.some((l) => MISSING.some((re) => re.test(l)))) return undefined;
  const lines = all.filter((l) => CAUSE.test(l) || MISSING.some((re) => re.test(l)));
  const first = lines[0]!.replace(/^.*?\[ERROR\]\s*(mariadbd:\s*)?/, "");
  return new HbError("plugin", `${what}: a plugin or key the backup needs is missing: ${first}`, `${lines.slice(0, 4).join("\n")}\n${SUPPLY_HINT}`);
}
