// Synthetic backups for the prepare tests: a manifest, copies in .hb/data and a journal encoded record by
// record, written as a real directory. Positions are real: a listing or copy taken "now" gets the journal
// head (the position the next record will have) as its seq, as the copier does.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalBuilder } from "../../src/journal/builder";
import { crc32c } from "../../src/journal/crc32c";
import { BIND_NEW, BIND_OUTSIDE, RecType } from "../../src/journal/format";
import type { Manifest, ManifestCopy, ManifestListing, ManifestRoot } from "../../src/dest/manifest";

export const DIR = 0o040000, REG = 0o100000, LNK = 0o120000;
export { BIND_NEW as NEW, BIND_OUTSIDE as OUTSIDE };

const bytes = (d: string | Uint8Array) => (typeof d === "string" ? new TextEncoder().encode(d) : d);

export type EntrySpec = [name: string, ident: string, mode: number, target?: string];

export class Backup {
  readonly j = new JournalBuilder();
  readonly roots: ManifestRoot[] = [];
  readonly listings: ManifestListing[] = [];
  readonly copies: ManifestCopy[] = [];
  private n = 0;

  constructor(readonly dest: string) {
    mkdirSync(join(dest, ".hb", "data"), { recursive: true });
  }

  /** The journal head: what the copier would read now. */
  get head(): number {
    return this.j.pos;
  }

  root(ident: string, dest = "", source = `/src/${dest || "root"}`): this {
    this.roots.push({ dest, source, ident });
    return this;
  }

  list(ident: string, mode: number, entries: EntrySpec[], seq = this.head): this {
    this.listings.push({
      ident,
      seq,
      mode,
      entries: entries.map(([name, id, m, target]) => (target === undefined ? { name, ident: id, mode: m } : { name, ident: id, mode: m, target })),
    });
    return this;
  }

  copy(ident: string, content: string | Uint8Array, mode = REG | 0o644, seq = this.head): string {
    const file = `.hb/data/${++this.n}`;
    const data = bytes(content);
    writeFileSync(join(this.dest, file), data, { mode: 0o600 });
    this.copies.push({ ident, seq, file, size: data.length, mode, crc: crc32c(data) });
    return file;
  }

  bind(parent: string, name: string, ident: string, mode: number, flags = 0, target?: string): number {
    return this.j.add({ type: RecType.BIND, parent, name, ident, mode, flags, target, abspath: `/src/${name}` });
  }
  unbind(parent: string, name: string, ident = "0:0"): number {
    return this.j.add({ type: RecType.UNBIND, parent, name, ident });
  }
  write(ident: string, off: number, data: string | Uint8Array): number {
    return this.j.add({ type: RecType.WRITE, ident, off, data: bytes(data) });
  }
  trunc(ident: string, size: number): number {
    return this.j.add({ type: RecType.TRUNC, ident, off: size });
  }
  falloc(ident: string, mode: number, off: number, count: number): number {
    return this.j.add({ type: RecType.FALLOC, ident, mode, off, count });
  }
  chmod(ident: string, mode: number): number {
    return this.j.add({ type: RecType.CHMOD, ident, mode });
  }

  manifest(): Manifest {
    return { format: 1, kind: "raw", complete: true, roots: this.roots, listings: this.listings, copies: this.copies };
  }

  /** Writes journal, manifest and state. `journal` may damage the bytes first. */
  finish(o: { state?: string | null; manifest?: boolean; end?: boolean; journal?: (b: Uint8Array) => Uint8Array } = {}): this {
    let journal = this.j.bytes(o.end ?? true);
    if (o.journal) journal = o.journal(journal);
    writeFileSync(join(this.dest, ".hb", "journal"), journal, { mode: 0o600 });
    if (o.manifest ?? true) writeFileSync(join(this.dest, ".hb", "manifest.json"), JSON.stringify(this.manifest()));
    if (o.state !== null) writeFileSync(join(this.dest, ".hb", "state"), `${o.state ?? "complete"}\n`);
    return this;
  }
}

/**
 * The tree under `dir` as path -> description: "file 644 <content>", "dir 755", "link -> target", plus
 * "links: a b" for each inode with several names. `.hb` is left out unless `withHb`.
 */
export function snapshot(dir: string, withHb = false): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<string, string[]>();
  const rec = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      if (rel === "" && name === ".hb" && !withHb) continue;
      const path = rel ? `${rel}/${name}` : name;
      const full = join(dir, path);
      const st = lstatSync(full);
      const perm = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[path] = `link -> ${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${perm}`;
        rec(path);
      } else {
        out[path] = `file ${perm} ${JSON.stringify(readFileSync(full, "latin1"))}`;
        const key = `${st.dev}:${st.ino}`;
        inodes.set(key, [...(inodes.get(key) ?? []), path]);
      }
    }
  };
  rec("");
  for (const paths of inodes.values()) if (paths.length > 1) out[`links: ${paths.join(" ")}`] = "";
  return out;
}

export const file = (perm: number, content: string) => `file ${perm.toString(8)} ${JSON.stringify(content)}`;
export const dir = (perm: number) => `dir ${perm.toString(8)}`;
