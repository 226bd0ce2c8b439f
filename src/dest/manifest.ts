// The manifest (`.hb/manifest.json`, `hb_manifest.json` once sealed): what the copier listed and copied, and at
// which journal position (docs/journal.md "Manifest"). Written by backup when the copy is complete; read by
// prepare, restore and verify.
import { readFileSync } from "node:fs";
import { writeFileDurably } from "../fsync-tree";
import { HbError } from "../errors";
import { DATA_REL, WORK_DIR, recordName, recordPath, workingPath } from "./files";

export interface ManifestRoot {
  dest: string; // path of this root's tree inside DEST; "" = DEST itself
  source: string;
  ident: string; // "dev:ino"
}
export interface ManifestListingEntry {
  name: string;
  ident: string;
  mode: number; // st_mode
  target?: string; // symlinks only
}
export interface ManifestListing {
  ident: string;
  seq: number; // journal head read before the listing
  mode: number;
  entries: ManifestListingEntry[];
}
export interface ManifestCopy {
  ident: string;
  seq: number; // journal head read before the first byte was read
  file: string; // relative to DEST, under DATA_REL
  size: number;
  mode: number;
  crc?: number; // CRC32C of the copy as written (absent in backups of older hb)
}
export interface Manifest {
  format: 1;
  kind: string; // "raw", "mariadb", …
  complete: boolean;
  roots: ManifestRoot[];
  listings: ManifestListing[];
  copies: ManifestCopy[];
  // Globs (picomatch, DEST-relative paths) left out of the backup: the copier does not copy them and prepare
  // drops what the journal created under them (binary logs, temporary files, …).
  exclude?: string[];
  include?: string[]; // when set, only these files of user database directories (and the system databases)
}

const IDENT = /^\d+:\d+$/;
const isName = (s: unknown) => typeof s === "string" && s !== "" && s !== "." && s !== ".." && !s.includes("/") && !s.includes("\0");
const isSeq = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
const isDataFile = (s: unknown) =>
  typeof s === "string" && s.startsWith(`${DATA_REL}/`) && s.slice(DATA_REL.length + 1).split("/").every(isName);
const isDest = (s: unknown) => s === "" || (typeof s === "string" && !s.startsWith(WORK_DIR) && s.split("/").every(isName));

/** The first thing wrong with a parsed manifest, or undefined. */
function problem(m: Manifest): string | undefined {
  if (m === null || typeof m !== "object") return "not an object";
  if (m.format !== 1) return `format ${JSON.stringify(m.format)} is not supported (expected 1)`;
  if (!Array.isArray(m.roots) || !m.roots.length) return "no roots";
  if (!Array.isArray(m.listings) || !Array.isArray(m.copies)) return "listings or copies missing";
  for (const r of m.roots)
    if (!IDENT.test(r?.ident) || !isDest(r.dest) || typeof r.source !== "string") return `bad root ${JSON.stringify(r)}`;
  for (const l of m.listings) {
    if (!IDENT.test(l?.ident) || !isSeq(l.seq) || !Number.isInteger(l.mode) || !Array.isArray(l.entries))
      return `bad listing of ${JSON.stringify(l?.ident)}`;
    for (const e of l.entries)
      if (!isName(e?.name) || !IDENT.test(e.ident) || !Number.isInteger(e.mode) || (e.target !== undefined && typeof e.target !== "string"))
        return `bad entry ${JSON.stringify(e)} in the listing of ${l.ident}`;
  }
  if (m.exclude !== undefined && (!Array.isArray(m.exclude) || !m.exclude.every((g) => typeof g === "string" && g !== "")))
    return "bad exclude list";
  if (m.include !== undefined && (!Array.isArray(m.include) || !m.include.every((g) => typeof g === "string" && g !== "")))
    return "bad include list";
  for (const c of m.copies)
    if (
      !IDENT.test(c?.ident) || !isSeq(c.seq) || !isDataFile(c.file) || !isSeq(c.size) || !Number.isInteger(c.mode) ||
      (c.crc !== undefined && !(isSeq(c.crc) && c.crc <= 0xffffffff))
    )
      return `bad copy ${JSON.stringify(c)}`;
  return undefined;
}

/** Reads and checks DEST's manifest; a missing or unreadable one means DEST is not a finished backup. */
export function readManifest(dest: string): Manifest {
  const file = recordPath(dest, "manifest");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new HbError("damaged", `${dest} is not an hb backup (no ${recordName("manifest")})`);
    throw new HbError("io", `cannot read ${file}: ${(e as Error).message}`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new HbError("damaged", `${file} is damaged: not valid JSON`);
  }
  const what = problem(m);
  if (what) throw new HbError("damaged", `${file} is damaged: ${what}`);
  if (m.complete !== true) throw new HbError("damaged", `backup at ${dest} is incomplete (the manifest is not marked complete)`);
  return m;
}

/** Writes the manifest durably: a temporary file, fsync, rename over the old one, fsync of the directory. */
export function writeManifest(dest: string, m: Manifest): void {
  writeFileDurably(workingPath(dest, "manifest"), JSON.stringify(m));
}
