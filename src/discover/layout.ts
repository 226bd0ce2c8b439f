// Where the server keeps its files (docs/layout.md): the InnoDB system tablespace files, the redo log, the undo
// tablespaces and the Aria log, each maybe outside the datadir, and the remote tablespaces (DATA DIRECTORY /
// INDEX DIRECTORY) the datadir points at. The backup captures every directory they live in; prepare brings
// them all into DEST; restore puts each back by its kind.
import { type Dirent, readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { HbError } from "../errors";

/** A file kept in a directory the server's configuration names: what restore places by the target's options. */
export type SystemKind = "innodb-data" | "innodb-redo" | "innodb-undo" | "aria-log";

export interface SourceLayout {
  datadir: string;
  innodbDataHomeDir: string;
  innodbLogGroupHomeDir: string;
  innodbUndoDirectory: string;
  ariaLogDir: string;
  dataFiles: string[]; // innodb_data_file_path's files, absolute
}

/** A table file the datadir only points at: an InnoDB `.isl`, or a MyISAM/Aria DATA/INDEX DIRECTORY symlink. */
export interface RemoteLink {
  link: string; // datadir-relative: "db/t.isl", "db/t#P#p0.isl", "db/m.MYD"
  target: string; // absolute path of the real file
  via: "isl" | "symlink";
}

/** `path` with its directory's symlinks resolved: the shim sees real paths. */
function real(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

/** innodb_data_file_path's file names ("ibdata1:12M;/abs/ibdata2:10M:autoextend"), as written. */
export function dataFileNames(spec: string): string[] {
  return spec
    .split(";")
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => /^(.*?):\d+[KMGT]?(:.*)?$/i.exec(e)?.[1] ?? e);
}

/** innodb_data_file_path with each file by its base name: the files sit in DEST's top level. */
export function dataFilePathInDest(spec: string): string {
  return spec
    .split(";")
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => {
      const name = /^(.*?):\d+[KMGT]?(:.*)?$/i.exec(e)?.[1] ?? e;
      return basename(name) + e.slice(name.length);
    })
    .join(";");
}

/** The absolute data files, and a refusal when two would share one name in DEST. */
export function dataFilesOf(spec: string, dataHomeDir: string): string[] {
  const files = dataFileNames(spec).map((n) => real(isAbsolute(n) ? resolve(n) : resolve(dataHomeDir, n)));
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(basename(f));
    if (other)
      throw new HbError("usage", `innodb_data_file_path names two files called ${basename(f)} (${other} and ${f}): a backup keeps them side by side`);
    seen.set(basename(f), f);
  }
  return files;
}

/** Which kind of system file `name` in `dir` is, by the source's configuration; undefined: not the server's. */
export function systemKind(l: SourceLayout, dir: string, name: string): SystemKind | undefined {
  const path = join(dir, name);
  if (l.dataFiles.includes(path)) return "innodb-data";
  if (dir === l.innodbLogGroupHomeDir && /^ib_logfile\d+$/.test(name)) return "innodb-redo";
  if (dir === l.innodbUndoDirectory && /^undo\d+$/.test(name)) return "innodb-undo";
  if (dir === l.ariaLogDir && /^(aria_log\.\d+|aria_log_control)$/.test(name)) return "aria-log";
  return undefined;
}

/** The remote tablespaces and symlinked table files of each database directory of `datadir`, now. */
export function remoteLinks(datadir: string): RemoteLink[] {
  const out: RemoteLink[] = [];
  for (const db of readdirSync(datadir, { withFileTypes: true })) {
    if (!db.isDirectory() || db.name.startsWith("#")) continue;
    let entries: Dirent[];
    try {
      entries = readdirSync(join(datadir, db.name), { withFileTypes: true }); // the types without a stat each: this runs under BLOCK_DDL
    } catch {
      continue; // dropped meanwhile
    }
    for (const entry of entries) {
      const name = entry.name;
      const path = join(datadir, db.name, name);
      try {
        if (name.endsWith(".isl")) {
          const target = readFileSync(path, "utf8").trim();
          out.push({ link: `${db.name}/${name}`, target: real(resolve(datadir, target)), via: "isl" });
        } else if (entry.isSymbolicLink()) {
          out.push({ link: `${db.name}/${name}`, target: real(resolve(dirname(path), readlinkSync(path))), via: "symlink" });
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new HbError("io", `cannot read ${path}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/**
 * The directories to capture: the datadir, the directories of InnoDB's and Aria's own files, and those of
 * every remote table file; none inside another, the datadir first.
 */
export function layoutRoots(l: SourceLayout, remote: RemoteLink[]): string[] {
  const dataDirs = l.dataFiles.map((f) => dirname(f));
  const all = [l.datadir, ...dataDirs, l.innodbLogGroupHomeDir, l.innodbUndoDirectory, l.ariaLogDir, ...remote.map((r) => dirname(r.target))];
  for (const dir of all)
    if (dir !== l.datadir && under(l.datadir, dir))
      throw new HbError("usage", `${dir} holds the server's files and contains its datadir ${l.datadir}: hb captures a directory whole`, "keep InnoDB's, Aria's and the tables' directories beside the datadir or inside it");
  const roots: string[] = [];
  for (const dir of all) if (!roots.some((r) => under(dir, r))) roots.push(dir);
  return roots.filter((r, i) => !roots.some((o, j) => j !== i && under(r, o) && r !== o));
}

/** The links whose file is in none of `roots`: a table created during the backup where nothing was captured. */
export function uncaptured(remote: RemoteLink[], roots: string[]): RemoteLink[] {
  return remote.filter((r) => !roots.some((root) => under(r.target, root)));
}
