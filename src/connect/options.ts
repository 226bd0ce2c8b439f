// Where and how to connect, resolved like the mysql client does: option files ([client], [client-server],
// [client-mariadb], then [hb]), MYSQL_PWD for the password, and command-line flags over everything.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { HbError } from "../errors";

export interface ConnectionFlags {
  host?: string;
  port?: number;
  socket?: string;
  user?: string;
  password?: string;
  defaultsFile?: string;
  defaultsExtraFile?: string;
}

export interface ConnectionOptions {
  host?: string;
  port?: number;
  socket?: string;
  user: string;
  password?: string;
  sources: string[]; // option files read, in order
}

const GROUPS = ["client", "client-server", "client-mariadb", "hb"];
const KEYS = ["host", "port", "socket", "user", "password"] as const;
type Key = (typeof KEYS)[number];
const GLOBAL_FILES = ["/etc/my.cnf", "/etc/mysql/my.cnf"];
const DEFAULT_SOCKET = "/run/mysqld/mysqld.sock";

/** Reads one option file (following !include and !includedir) into values by group. */
export function readOptionFile(path: string, into = new Map<string, Map<string, string>>(), seen = new Set<string>()) {
  const abs = resolve(path);
  if (seen.has(abs)) return into;
  seen.add(abs);
  let group = "";
  for (const raw of readFileSync(abs, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const include = /^!include\s+(.+)$/.exec(line);
    const includedir = /^!includedir\s+(.+)$/.exec(line);
    if (include) {
      const file = resolve(dirname(abs), include[1]!.trim());
      if (existsSync(file)) readOptionFile(file, into, seen);
    } else if (includedir) {
      const dir = resolve(dirname(abs), includedir[1]!.trim());
      if (existsSync(dir))
        for (const f of readdirSync(dir).filter((n) => n.endsWith(".cnf")).sort()) readOptionFile(join(dir, f), into, seen);
    } else if (line.startsWith("[")) {
      group = line.slice(1, line.indexOf("]")).trim().toLowerCase();
    } else {
      const eq = line.indexOf("=");
      let key = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase().replace(/_/g, "-");
      if (key.startsWith("loose-")) key = key.slice(6);
      let value = eq < 0 ? "" : line.slice(eq + 1).trim();
      const quoted = /^(["'])(.*)\1$/.exec(value);
      if (quoted) value = quoted[2]!;
      else value = value.replace(/\s+#.*$/, "");
      if (!into.has(group)) into.set(group, new Map());
      into.get(group)!.set(key, value);
    }
  }
  return into;
}

/** The option files read, in order: --defaults-file alone, or the usual ones and --defaults-extra-file. */
export const optionFiles = (flags: { defaultsFile?: string; defaultsExtraFile?: string }): string[] =>
  flags.defaultsFile
    ? [flags.defaultsFile]
    : [...GLOBAL_FILES, join(homedir(), ".my.cnf"), ...(flags.defaultsExtraFile ? [flags.defaultsExtraFile] : [])];

export function resolveConnection(flags: ConnectionFlags): ConnectionOptions {
  const files = optionFiles(flags);
  const values = new Map<Key, string>();
  const sources: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      if (file === flags.defaultsFile || file === flags.defaultsExtraFile) throw new HbError("usage", `option file ${file} does not exist`);
      continue;
    }
    let parsed: Map<string, Map<string, string>>;
    try {
      parsed = readOptionFile(file);
    } catch (e) {
      throw new HbError("usage", `cannot read option file ${file}: ${(e as Error).message}`);
    }
    sources.push(file);
    for (const g of GROUPS) for (const k of KEYS) { const v = parsed.get(g)?.get(k); if (v !== undefined) values.set(k, v); }
  }
  if (process.env.MYSQL_PWD !== undefined && flags.password === undefined) values.set("password", process.env.MYSQL_PWD);
  const pick = <T>(flag: T | undefined, key: Key, conv: (s: string) => T) => flag ?? (values.has(key) ? conv(values.get(key)!) : undefined);
  const host = pick(flags.host, "host", String);
  const port = pick(flags.port, "port", Number);
  const socket = pick(flags.socket, "socket", String);
  const useTcp = host !== undefined && host !== "localhost";
  return {
    host: useTcp ? host : undefined,
    port: useTcp ? (port ?? 3306) : undefined,
    socket: useTcp ? undefined : (socket ?? DEFAULT_SOCKET),
    user: pick(flags.user, "user", String) ?? userInfo().username,
    password: pick(flags.password, "password", String),
    sources,
  };
}
