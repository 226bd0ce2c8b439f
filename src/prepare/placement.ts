// After the replay, before crash recovery: DEST becomes a standard datadir (docs/layout.md). InnoDB's system
// files, redo log and undo tablespaces and the Aria log come to DEST's top level from wherever the source kept
// them; a remote table file (an InnoDB `.isl`, a MyISAM/Aria DATA/INDEX DIRECTORY symlink) comes into its
// database directory in place of the pointer, so that no server started on DEST opens a file outside it.
// hb_layout.json records where each came from, for restore. What else the extra roots held is not the server's.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, rmdirSync, unlinkSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { HbError } from "../errors";
import { fsyncPath } from "../fsync-tree";
import { log } from "../log";
import { isBackupRecord, type ManifestRoot } from "../dest";
import { systemKind } from "../discover/layout";
import { readLayoutRecord, writeLayoutRecord, type PlacedFile } from "../discover/record";

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HbError) throw e;
    throw new HbError("io", `${what}: ${(e as Error).message}`);
  }
}

/** Where a path of the source is in DEST (relative), through the root that captured it; undefined: none did. */
function inDestOf(roots: readonly ManifestRoot[]): (abs: string) => string | undefined {
  const bySource = [...roots].sort((a, b) => b.source.length - a.source.length);
  return (abs) => {
    const root = bySource.find((r) => under(abs, r.source));
    if (!root) return undefined;
    return join(root.dest, relative(root.source, abs)).replace(/^\.$/, "");
  };
}

/** Moves the server's files into their standard places; returns what it moved, or undefined without a record. */
export function placeServerFiles(dest: string, roots: readonly ManifestRoot[]): PlacedFile[] | undefined {
  const record = readLayoutRecord(dest);
  if (!record) return undefined;
  const l = record.source;
  const inDest = inDestOf(roots);
  const placed: PlacedFile[] = [];
  const touched = new Set<string>([dest]);
  const move = (from: string, to: string) => {
    if (from === to) return;
    touched.add(dirname(join(dest, to)));
    if (existsSync(join(dest, to)))
      throw new HbError("damaged", `cannot prepare ${dest}: ${from} and ${to} would both be ${to}`, "take a new backup");
    io(`cannot move ${from} to ${to}`, () => renameSync(join(dest, from), join(dest, to)));
  };

  const systemDirs = [...new Set([...l.dataFiles.map((f) => dirname(f)), l.innodbLogGroupHomeDir, l.innodbUndoDirectory, l.ariaLogDir])];
  for (const dir of systemDirs) {
    const rel = inDest(dir);
    if (rel === undefined || !existsSync(join(dest, rel))) continue;
    for (const name of readdirSync(join(dest, rel))) {
      const kind = systemKind(l, dir, name);
      if (!kind) continue;
      move(join(rel, name), name);
      placed.push({ path: name, origin: join(dir, name), kind });
    }
  }

  const extra = new Set(roots.filter((r) => r.dest).map((r) => r.dest.split("/")[0]!));
  const vacated = new Set(systemDirs.map((d) => inDest(d) ?? ""));
  for (const db of readdirSync(dest, { withFileTypes: true })) {
    if (!db.isDirectory() || extra.has(db.name) || isBackupRecord(db.name)) continue;
    for (const name of readdirSync(join(dest, db.name))) {
      const link = `${db.name}/${name}`;
      const isl = name.endsWith(".isl");
      if (!isl && !lstatSync(join(dest, link)).isSymbolicLink()) continue;
      const target = isl
        ? resolve(l.datadir, readFileSync(join(dest, link), "utf8").trim())
        : resolve(join(l.datadir, db.name), readlinkSync(join(dest, link)));
      const from = inDest(target);
      if (from === undefined || !existsSync(join(dest, from)))
        throw new HbError("damaged", `cannot prepare ${dest}: ${link} points at ${target}, which the backup does not hold`, "take a new backup");
      const to = isl ? `${db.name}/${name.slice(0, -4)}.ibd` : link;
      io(`cannot remove ${link}`, () => unlinkSync(join(dest, link)));
      move(from, to);
      vacated.add(dirname(from));
      placed.push({ path: to, origin: target, kind: "remote", via: isl ? "isl" : "symlink", link });
    }
  }

  for (const top of extra) {
    const left = countFiles(join(dest, top));
    if (left) log.info(`left out ${left} files of ${top} that are not the server's`);
    io(`cannot remove ${top}`, () => rmSync(join(dest, top), { recursive: true, force: true }));
  }
  // A directory inside the datadir that held only such files (innodb_data_home_dir=ib/, DATA DIRECTORY under the
  // datadir): emptied, it is no database.
  for (const start of vacated) {
    let rel: string | undefined = start;
    while (rel && !extra.has(rel.split("/")[0]!) && existsSync(join(dest, rel)) && !readdirSync(join(dest, rel)).length) {
      io(`cannot remove ${rel}`, () => rmdirSync(join(dest, rel!)));
      rel = dirname(rel) === "." ? undefined : dirname(rel);
    }
  }
  io(`cannot write the layout record in ${dest}`, () => writeLayoutRecord(dest, { ...record, placed }));
  io(`cannot sync ${dest}`, () => touched.forEach((d) => fsyncPath(d)));
  return placed;
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}
