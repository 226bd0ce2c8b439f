// After the replay, before crash recovery: DEST becomes a standard datadir (docs/layout.md). InnoDB's system
// files, redo log and undo tablespaces and the Aria log come to DEST's top level from wherever the source kept
// them; a remote table file (an InnoDB `.isl`, a MyISAM/Aria DATA/INDEX DIRECTORY symlink) comes into its
// database directory in place of the pointer, so that no server started on DEST opens a file outside it.
// hb_layout.json records where each came from, for restore. What else the extra roots held is not the server's.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, rmdirSync, unlinkSync } from "node:fs";
import { io } from "../fs-steps";
import { killPoint } from "./fault";
import { dirname, join, relative, resolve } from "node:path";
import { HbError } from "../errors";
import { fsyncPath } from "../fsync-tree";
import { log } from "../log";
import { isBackupRecord, type ManifestRoot } from "../dest";
import { systemKind } from "../discover/layout";
import { readLayoutRecord, writeLayoutRecord, type LayoutRecord, type PlacedFile } from "../discover/record";

const under = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

/** Where a path of the source is in DEST (relative), through the root that captured it; undefined: none did. */
function inDestOf(roots: readonly ManifestRoot[]): (abs: string) => string | undefined {
  const bySource = [...roots].sort((a, b) => b.source.length - a.source.length);
  return (abs) => {
    const root = bySource.find((r) => under(abs, r.source));
    if (!root) return undefined;
    return join(root.dest, relative(root.source, abs)).replace(/^\.$/, "");
  };
}

/**
 * Moves the server's files into their standard places; returns what it moved, or undefined without a record.
 * The moves are planned first and recorded (hb_layout.json's `placed`) before the first one, so a prepare
 * killed midway and run again carries out the same plan: a move already made is seen as made.
 */
export function placeServerFiles(dest: string, roots: readonly ManifestRoot[]): PlacedFile[] | undefined {
  let record = readLayoutRecord(dest);
  if (!record) return undefined;
  const inDest = inDestOf(roots);
  if (!record.placed) {
    record = { ...record, placed: planPlacement(dest, record, roots, inDest) };
    io(`cannot write the layout record in ${dest}`, () => writeLayoutRecord(dest, record!));
  }
  const placed = record.placed!;
  const touched = new Set<string>([dest]);
  const vacated = new Set(systemDirsOf(record.source).map((d) => inDest(d) ?? ""));
  for (const p of placed) {
    const from = inDest(p.origin)!;
    if (p.link && isPointer(join(dest, p.link), p.via)) io(`cannot remove ${p.link}`, () => unlinkSync(join(dest, p.link!)));
    if (p.kind === "remote") vacated.add(dirname(from));
    if (from === p.path) continue;
    touched.add(dirname(join(dest, p.path)));
    if (existsSync(join(dest, from))) {
      killPoint("place");
      io(`cannot move ${from} to ${p.path}`, () => renameSync(join(dest, from), join(dest, p.path)));
    }
    else if (!existsSync(join(dest, p.path))) throw new HbError("damaged", `cannot prepare ${dest}: ${from} is gone and ${p.path} is not there`, "take a new backup");
  }

  const extra = new Set(roots.filter((r) => r.dest).map((r) => r.dest.split("/")[0]!));
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
  io(`cannot sync ${dest}`, () => touched.forEach((d) => fsyncPath(d)));
  return placed;
}

/** The .isl file, or the symlink still there (a killed run may have put the table's file in its place). */
function isPointer(path: string, via: PlacedFile["via"]): boolean {
  try {
    const st = lstatSync(path);
    return via === "isl" || st.isSymbolicLink();
  } catch {
    return false;
  }
}

const systemDirsOf = (l: LayoutRecord["source"]) => [...new Set([...l.dataFiles.map((f) => dirname(f)), l.innodbLogGroupHomeDir, l.innodbUndoDirectory, l.ariaLogDir])];

/** Where each of the server's files goes: found on the tree as the replay left it, nothing moved yet. */
function planPlacement(dest: string, record: LayoutRecord, roots: readonly ManifestRoot[], inDest: (abs: string) => string | undefined): PlacedFile[] {
  const l = record.source;
  const placed: PlacedFile[] = [];
  const targets = new Set<string>();
  const plan = (from: string, p: PlacedFile) => {
    if (from !== p.path && (targets.has(p.path) || (existsSync(join(dest, p.path)) && p.link !== p.path)))
      throw new HbError("damaged", `cannot prepare ${dest}: ${from} and ${p.path} would both be ${p.path}`, "take a new backup");
    targets.add(p.path);
    placed.push(p);
  };
  for (const dir of systemDirsOf(l)) {
    const rel = inDest(dir);
    if (rel === undefined || !existsSync(join(dest, rel))) continue;
    for (const name of readdirSync(join(dest, rel))) {
      const kind = systemKind(l, dir, name);
      if (kind) plan(join(rel, name), { path: name, origin: join(dir, name), kind });
    }
  }
  const extra = new Set(roots.filter((r) => r.dest).map((r) => r.dest.split("/")[0]!));
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
      plan(from, { path: isl ? `${db.name}/${name.slice(0, -4)}.ibd` : link, origin: target, kind: "remote", via: isl ? "isl" : "symlink", link });
    }
  }
  return placed;
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}
