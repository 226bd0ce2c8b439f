// The namespace records the drain hands to the copier while the capture runs, and what the copier must
// still fetch because of them: a file or directory that moved to where the walk had already been, or that
// came in from outside the roots (docs/journal.md).
import { BIND_NEW, BIND_OUTSIDE, F, HB_REC_HDR, RecType } from "../journal/format";
import { isDir, isReg } from "../libc";

export interface NsEvent {
  pos: number;
  bind: boolean;
  isNew: boolean;
  outside: boolean;
  ident: string;
  mode: number;
  parent: string;
  name: string;
  absPath: string;
}

const decoder = new TextDecoder();

export function parseEvents(buf: Uint8Array): NsEvent[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NsEvent[] = [];
  for (let at = 0; at + HB_REC_HDR <= buf.length; ) {
    const u32 = (field: number) => view.getUint32(at + field, true);
    const u64 = (field: number) => view.getBigUint64(at + field, true);
    const len = u32(F.len);
    const type = view.getUint16(at + F.type, true);
    const flags = view.getUint16(at + F.flags, true);
    if (type === RecType.BIND || type === RecType.UNBIND) {
      const n1 = u32(F.n1), n2 = u32(F.n2), count = Number(u64(F.count));
      const text = (from: number, n: number) => decoder.decode(buf.subarray(at + HB_REC_HDR + from, at + HB_REC_HDR + from + n));
      out.push({
        pos: Number(u64(F.pos)),
        bind: type === RecType.BIND,
        isNew: (flags & BIND_NEW) !== 0,
        outside: (flags & BIND_OUTSIDE) !== 0,
        mode: u32(F.mode),
        ident: `${u64(F.dev)}:${u64(F.ino)}`,
        parent: `${u64(F.pdev)}:${u64(F.pino)}`,
        name: text(0, n1),
        absPath: type === RecType.BIND ? text(n1 + n2, count) : "",
      });
    }
    at += len;
  }
  return out;
}

/** What a journaled BIND asks of the copier: a copy (file) or listing (directory) taken after `after`. */
export interface Need {
  ident: string;
  dir: boolean;
  pos: number; // of the BIND
  after: number; // -1: any copy will do (the file was in the roots all along)
  cameIn?: CameIn; // the BIND OUTSIDE that set `after`
  parent: string;
  name: string;
  absPath: string; // where the BIND put it; `open` says where the journal has it now
}

/** A directory or file that came into the roots from outside, where its writes were not journaled. */
interface CameIn {
  pos: number;
  absPath: string;
  self: boolean; // the need's own ident; else a directory it may have been in
}

type Key = { parent: string; name: string };

// Longest chain of directories `locate` climbs: more means the journal's keys are not a tree (yet).
const MAX_DEPTH = 4096;

/**
 * Follows the keys that journaled BINDs gave to idents, so that an ident that later left the roots or was
 * unlinked is no longer asked for, and one that moved under a directory the copier has not listed is looked
 * for where the journal has it now. Idents created during the capture never need a copy.
 */
export class NeedTracker {
  private keys = new Map<string, string>(); // key -> ident, for keys touched by events
  private places = new Map<string, Key | null>(); // ident -> its key now (dirs); null: unbound (removed or moved out)
  private needs = new Map<string, Need>();
  private created = new Set<string>();
  // The latest directory that came in from outside. Anything bound after it may have been in that directory,
  // and written while it was outside: it needs a copy taken after that position too.
  private dirCameIn?: CameIn;

  add(e: NsEvent): Need | undefined {
    const key = `${e.parent}/${e.name}`;
    const before = this.keys.get(key) ?? (e.bind ? undefined : e.ident); // an UNBIND says what it unbinds
    if (before !== undefined) this.leave(before, e);
    if (!e.bind) {
      this.keys.delete(key);
      return;
    }
    this.keys.set(key, e.ident);
    if (isDir(e.mode)) this.places.set(e.ident, { parent: e.parent, name: e.name });
    const cameIn: CameIn | undefined = e.outside ? { pos: e.pos, absPath: e.absPath, self: true } : undefined;
    if (cameIn && isDir(e.mode)) this.dirCameIn = { ...cameIn, self: false };
    if (e.isNew) {
      this.created.add(e.ident);
      this.needs.delete(e.ident);
      return;
    }
    if (!isDir(e.mode) && !isReg(e.mode)) return;
    if (this.created.has(e.ident) && !e.outside) return;
    const prev = this.needs.get(e.ident);
    const inherited = [prev?.cameIn, this.dirCameIn].filter((c) => c !== undefined).sort((a, b) => b.pos - a.pos)[0];
    const need: Need = {
      ident: e.ident,
      dir: isDir(e.mode),
      pos: e.pos,
      after: cameIn?.pos ?? inherited?.pos ?? -1,
      cameIn: cameIn ?? inherited,
      parent: e.parent,
      name: e.name,
      absPath: e.absPath,
    };
    this.needs.set(e.ident, need);
    return need;
  }

  /** An ident whose key is unbound or taken by another ident is no longer there (a later BIND says where). */
  private leave(ident: string, e: NsEvent): void {
    const place = this.places.get(ident);
    const here = place === undefined || (place !== null && place.parent === e.parent && place.name === e.name);
    if (here && !(e.bind && e.ident === ident)) this.places.set(ident, null);
  }

  /**
   * Needs whose ident still has a key the journal gave it, in a directory still in the roots as far as the
   * journal knows, and that `satisfied` does not meet; each with the path where the journal has it now, from
   * the nearest directory `dirPath` knows (the copier's listed directories).
   */
  open(satisfied: (n: Need) => boolean, dirPath: (dir: string) => string | undefined): Need[] {
    const live = new Set(this.keys.values());
    const out: Need[] = [];
    for (const n of this.needs.values()) {
      if (!live.has(n.ident) || satisfied(n)) continue;
      const dir = this.locate(n.parent, dirPath);
      if (dir === null) continue; // its directory left the roots: not in the backup
      out.push(dir === undefined ? n : { ...n, absPath: `${dir}/${n.name}` });
    }
    return out;
  }

  /** Where directory `ident` is now: null if the journal took it (or a directory above it) out of the tree;
   * undefined if the journal does not say (it has not moved since a listing, or since the capture began). */
  private locate(ident: string, dirPath: (dir: string) => string | undefined): string | null | undefined {
    const names: string[] = [];
    for (let at = ident, depth = 0; depth < MAX_DEPTH; depth++) {
      const place = this.places.get(at);
      if (place === null) return null;
      const held = dirPath(at);
      if (held !== undefined) return [held, ...names.reverse()].join("/");
      if (place === undefined) return undefined;
      names.push(place.name);
      at = place.parent;
    }
    return undefined;
  }
}

/** Why prepare cannot rebuild what an open need asks for (docs/journal.md, "Prepare" 3 and 5). */
export function whyMissing(n: Need, endedFrom: number): string {
  const what = n.dir ? "listed" : "copied";
  const at = n.cameIn?.self ? n.cameIn.pos : n.pos; // the record that made it needed
  const when = at >= endedFrom ? " while the capture was ending" : "";
  if (!n.cameIn)
    return `${n.absPath}: in the roots since before the backup, moved${when} (journal byte ${at}) and never ${what}: the copier did not find it where the journal had it`;
  if (n.cameIn.self)
    return `${n.absPath}: came into the roots from outside${when} (journal byte ${at}) and was not ${what} after: what was written to it outside is in no journal`;
  return `${n.absPath}: moved${when} (journal byte ${at}) after directory ${n.cameIn.absPath} came into the roots from outside (byte ${n.cameIn.pos}), and was not ${what} after: it may have been in that directory, whose writes outside are in no journal`;
}
