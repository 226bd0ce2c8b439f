// The plugins a server needs to open a backup's files, read from the running server for backup-my.cnf
// (docs/prepare.md "Plugins and keys"): encryption key management with its options, and the compression
// providers of page_compressed tables. Without them the recovery server in prepare cannot read encrypted redo
// or decompress pages. Storage engine plugins are not among them: InnoDB's recovery does not need them, and
// an engine like MyRocks recovers its own files at the restored server's first start.
// Key material never goes into DEST: a key file is referenced by path, and an option holding a secret itself
// (a plain-text file_key_management_filekey, a vault token) is left out, to be given at prepare time.
import { isAbsolute, join } from "node:path";
import type { Db } from "../connect/client";

export interface BackupPlugins {
  pluginDir: string;
  plugins: { name: string; library: string }[];
  /** The plugins' own variables, and the server's encryption settings the recovery must keep. */
  options: [string, string][];
  /** Options left out because their value is a secret: given to prepare with --defaults-extra-file. */
  withheld: string[];
}

// Settings of the server (not of a plugin) that decide whether what recovery writes is encrypted.
const ENCRYPTION_SETTINGS = ["innodb_encrypt_log", "innodb_encrypt_tables", "innodb_encrypt_temporary_tables", "aria_encrypt_tables", "encrypt_tmp_files"];
// A value that is itself key material, unless it points at a file ("FILE:/path").
const SECRET = /(filekey|token|secret|password|access_key)$/;

/** A key file option's path made absolute: the server resolves it from its datadir, the recovery server from DEST. */
function absoluteKeyPath(name: string, value: string, datadir: string): string {
  const file = value.startsWith("FILE:") ? value.slice(5) : name.endsWith("_filename") ? value : "";
  if (!file || isAbsolute(file)) return value;
  return `${value.startsWith("FILE:") ? "FILE:" : ""}${join(datadir, file)}`;
}

export async function readBackupPlugins(db: Db, datadir: string): Promise<BackupPlugins> {
  const rows = await db.query<{ name: string; library: string }[]>(
    `SELECT PLUGIN_NAME AS name, PLUGIN_LIBRARY AS library FROM information_schema.PLUGINS
     WHERE PLUGIN_STATUS = 'ACTIVE' AND PLUGIN_LIBRARY IS NOT NULL
       AND (PLUGIN_TYPE = 'ENCRYPTION' OR PLUGIN_NAME LIKE 'provider\\_%') ORDER BY PLUGIN_NAME`,
  );
  const [dir] = await db.query<{ dir: string }[]>("SELECT @@plugin_dir AS dir");
  const prefixes = rows.map((r) => `${r.name.toLowerCase()}_`);
  const vars = await db.query<{ Variable_name: string; Value: string | null }[]>("SHOW GLOBAL VARIABLES");
  const options: [string, string][] = [];
  const withheld: string[] = [];
  for (const { Variable_name: name, Value: value } of vars) {
    const ofPlugin = prefixes.some((p) => name.startsWith(p));
    if (!ofPlugin && !(rows.length && ENCRYPTION_SETTINGS.includes(name))) continue;
    const text = String(value ?? "");
    if (ofPlugin && SECRET.test(name) && text && !text.startsWith("FILE:")) withheld.push(name);
    else options.push([name, ofPlugin ? absoluteKeyPath(name, text, datadir) : text]);
  }
  return { pluginDir: dir?.dir ?? "", plugins: rows, options, withheld };
}

/** backup-my.cnf's plugin lines (empty when the server needs none). */
export function formatPluginLines(p: BackupPlugins | undefined): string[] {
  if (!p?.plugins.length) return [];
  return [
    `plugin_dir=${p.pluginDir}`,
    `plugin_load=${p.plugins.map((x) => `${x.name.toLowerCase()}=${x.library}`).join(";")}`,
    ...p.options.map(([k, v]) => `${k}=${v}`),
    ...p.withheld.map((k) => `# ${k}: a secret, not written here; give it to hb prepare with --defaults-extra-file`),
  ];
}

/** The key files the plugins read, absolute: never copied into DEST. */
export function keyFiles(p: BackupPlugins | undefined): string[] {
  return (p?.options ?? []).flatMap(([k, v]) => (v.startsWith("FILE:") ? [v.slice(5)] : k.endsWith("_filename") && v ? [v] : []));
}
