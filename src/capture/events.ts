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
  after: number; // -1: any copy will do (the file was in the roots all along)
  parent: string;
  name: string;
  absPath: string;
}

/**
 * Follows the keys that journaled BINDs gave to idents, so that an ident that later left the roots or was
 * unlinked is no longer asked for. Idents created during the capture never need a copy.
 */
export class NeedTracker {
  private keys = new Map<string, string>(); // key -> ident, for keys touched by events
  private needs = new Map<string, Need>();
  private created = new Set<string>();
  // Latest position at which a directory came in from outside. Anything bound after it may have been in
  // that directory, and written while it was outside: it needs a copy taken after that position too.
  private dirCameIn = -1;

  add(e: NsEvent): Need | undefined {
    const key = `${e.parent}/${e.name}`;
    if (!e.bind) {
      this.keys.delete(key);
      return;
    }
    this.keys.set(key, e.ident);
    if (e.outside && isDir(e.mode)) this.dirCameIn = Math.max(this.dirCameIn, e.pos);
    if (e.isNew) {
      this.created.add(e.ident);
      this.needs.delete(e.ident);
      return;
    }
    if (!isDir(e.mode) && !isReg(e.mode)) return;
    if (this.created.has(e.ident) && !e.outside) return;
    const prev = this.needs.get(e.ident);
    const need: Need = {
      ident: e.ident,
      dir: isDir(e.mode),
      after: e.outside ? e.pos : Math.max(prev?.after ?? -1, this.dirCameIn),
      parent: e.parent,
      name: e.name,
      absPath: e.absPath,
    };
    this.needs.set(e.ident, need);
    return need;
  }

  /** Needs whose ident still has a key the journal gave it. */
  open(satisfied: (n: Need) => boolean): Need[] {
    const live = new Set(this.keys.values());
    return [...this.needs.values()].filter((n) => live.has(n.ident) && !satisfied(n));
  }
}
