// The plugins and keys prepare's recovery server loads: backup-my.cnf's plugin lines (metadata/plugins.ts),
// with --defaults-extra-file's server options over them for another host (docs/prepare.md "Plugins and
// keys"). What they name is checked before DEST is touched, so a missing key file fails with DEST as it was.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { readOptionFile } from "../connect/options";
import { HbError } from "../errors";
import { SUPPLY_HINT } from "../server/missing-plugin";

const SERVER_GROUPS = ["mysqld", "server", "mariadb", "mariadbd"];

function serverGroup(files: string[]): Map<string, string> {
  const groups = new Map<string, Map<string, string>>();
  for (const f of files) readOptionFile(f, groups);
  const merged = new Map<string, string>();
  for (const g of SERVER_GROUPS) for (const [k, v] of groups.get(g) ?? []) merged.set(k, v);
  return merged;
}

/** The extra file's server options as mariadbd arguments (mariadbd reads no extra file beside --defaults-file). */
export function extraServerArgs(extraFile: string | undefined): string[] {
  if (!extraFile) return [];
  if (!existsSync(extraFile)) throw new HbError("usage", `--defaults-extra-file: ${extraFile} does not exist`);
  return [...serverGroup([extraFile])].map(([k, v]) => `--${k}=${v}`);
}

const readable = (path: string) => {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/** Throws `plugin` when a plugin library, key file or withheld secret the recovery needs is not here. */
export function checkRecoveryNeeds(dest: string, extraFile: string | undefined): void {
  const cnf = join(dest, "backup-my.cnf");
  if (!existsSync(cnf)) return;
  const files = extraFile ? [cnf, extraFile] : [cnf];
  const o = serverGroup(files);
  const missing: string[] = [];
  const pluginDir = o.get("plugin-dir") ?? "";
  for (const entry of (o.get("plugin-load") ?? "").split(";").filter(Boolean)) {
    const library = entry.includes("=") ? entry.slice(entry.indexOf("=") + 1) : entry;
    const path = isAbsolute(library) ? library : join(pluginDir, library);
    if (!existsSync(path)) missing.push(`plugin library ${path} (plugin_load=${entry}, plugin_dir=${pluginDir})`);
  }
  for (const [k, v] of o) {
    const file = v.startsWith("FILE:") ? v.slice(5) : k.endsWith("-filename") ? v : "";
    if (file && !readable(file)) missing.push(`${k.replace(/-/g, "_")}=${v}: ${existsSync(file) ? "not readable" : "no such file"}`);
  }
  // backup-my.cnf names the secrets it left out (metadata/plugins.ts); the extra file must give them.
  for (const [, name] of readFileSync(cnf, "utf8").matchAll(/^# (\w+): a secret, not written here/gm))
    if (!o.has(name!.replace(/_/g, "-"))) missing.push(`${name} (a secret left out of backup-my.cnf)`);
  if (missing.length)
    throw new HbError("plugin", `crash recovery needs what is not on this host: ${missing.join("; ")}`, `${SUPPLY_HINT}; or prepare with --no-recover`);
}
