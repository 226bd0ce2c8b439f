// The plugins and keys prepare's recovery server loads: backup-my.cnf's plugin lines (metadata/plugins.ts),
// with --defaults-extra-file's server options over them for another host (docs/prepare.md "Plugins and
// keys"). What they name is checked before DEST is touched, so a missing key file fails with DEST as it was.
import { accessSync, chownSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { readOptionFile } from "../connect/options";
import { HbError } from "../errors";
import { missingPluginError, SUPPLY_HINT } from "../server/missing-plugin";

const SERVER_GROUPS = ["mysqld", "server", "mariadb", "mariadbd"];

function serverGroup(files: string[]): Map<string, string> {
  const groups = new Map<string, Map<string, string>>();
  for (const f of files) readOptionFile(f, groups);
  const merged = new Map<string, string>();
  for (const g of SERVER_GROUPS) for (const [k, v] of groups.get(g) ?? []) merged.set(k, v);
  return merged;
}

const pluginLoad = (o: Map<string, string>) => (o.get("plugin-load") ?? "").split(";").filter(Boolean);

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
  // Without a plugin_dir the server's compiled-in one applies; probePlugins finds a library missing there.
  for (const entry of pluginDir ? pluginLoad(o) : []) {
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

/**
 * Starts `serverPath` with only the plugins and their options, in bootstrap mode on an empty scratch datadir
 * without InnoDB (a fraction of a second), and throws `plugin` if one does not start: a key file that lacks the
 * key, a library of another version. Checked so before recovery because a server whose plugin failed goes on
 * to start its engines (even with the plugin FORCEd: measured), and Aria's would write to DEST.
 */
export function probePlugins(serverPath: string, dest: string, extraFile: string | undefined): void {
  const o = serverGroup([join(dest, "backup-my.cnf"), ...(extraFile ? [extraFile] : [])].filter(existsSync));
  const names = pluginLoad(o).map((e) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : "").replace(/_/g, "-")).filter(Boolean);
  if (!names.length) return;
  const own = [...o].filter(([k]) => names.some((n) => k.startsWith(`${n}-`)) || k === "plugin-dir" || k === "plugin-load");
  const scratch = mkdtempSync(join(tmpdir(), "hb-plugins-"));
  try {
    // As root, as DEST's owner, like the recovery server (server/throwaway.ts): the key files must be its to read.
    const owner = statSync(dest);
    if (process.getuid?.() === 0) chownSync(scratch, owner.uid, owner.gid);
    const user = process.getuid?.() === 0 ? [`--user=${owner.uid === 0 ? "root" : owner.uid}`] : [];
    const args = ["--no-defaults", "--bootstrap", `--datadir=${scratch}`, ...user, "--skip-log-bin", "--skip-grant-tables", "--innodb=OFF"];
    const engines = ["--default-storage-engine=MyISAM", "--default-tmp-storage-engine=MyISAM"];
    const plugins = [...own.map(([k, v]) => `--${k}=${v}`), ...names.map((n) => `--${n}=FORCE`)];
    const r = Bun.spawnSync([serverPath, ...args, ...engines, ...plugins], { stdin: Buffer.alloc(0), stdout: "ignore", stderr: "pipe", timeout: 60_000 });
    if (r.exitCode === 0) return;
    const log = r.stderr.toString();
    throw missingPluginError("crash recovery", log) ?? new HbError("plugin", `crash recovery: the backup's plugins (${names.join(", ")}) did not start`, `${log.split("\n").slice(-8).join("\n")}\n${SUPPLY_HINT}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// The first four bytes of an encrypted 10.8+ redo log ("Phys" when not encrypted).
const ENCRYPTED_REDO = Buffer.from([0xf0, 0x9f, 0x97, 0x9d]);

function redoEncrypted(dest: string): boolean {
  const dirs = [dest, ...readdirSync(dest).filter((n) => /^hb_root\d+$/.test(n)).map((n) => join(dest, n))];
  for (const file of dirs.map((d) => join(d, "ib_logfile0")).filter(existsSync)) {
    const fd = openSync(file, "r");
    try {
      const head = Buffer.alloc(4);
      if (readSync(fd, head, 0, 4, 0) === 4 && head.equals(ENCRYPTED_REDO)) return true;
    } finally {
      closeSync(fd);
    }
  }
  return false;
}

/**
 * After the replay, before recovery: an encrypted redo log with no key management plugin to load (a
 * backup-my.cnf from before hb recorded plugins) is `plugin`, found before a server starts: one that starts
 * without the key fails on the redo only after Aria's start has written to DEST (measured: an Aria table then
 * came back with another CHECKSUM TABLE).
 */
export function checkRedoKey(dest: string, extraFile: string | undefined): void {
  const o = serverGroup([join(dest, "backup-my.cnf"), ...(extraFile ? [extraFile] : [])].filter(existsSync));
  if (!redoEncrypted(dest) || pluginLoad(o).some((e) => /key_management/.test(e))) return;
  throw new HbError("plugin", "crash recovery: the redo log is encrypted and backup-my.cnf loads no key management plugin", `${SUPPLY_HINT} (plugin_load=file_key_management=file_key_management.so and its options); then run hb prepare again`);
}
