// The namespace records the drain hands to the copier while the capture runs, and what the copier must
// still fetch because of them: a file or directory that moved to where the walk had already been, or that
// came in from outside the roots (docs/journal.md).
import { isDir, isReg } from "../shim/ffi";

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
const BIND = 4;
const UNBIND = 5;
const HDR = 80;

export function parseEvents(buf: Uint8Array): NsEvent[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NsEvent[] = [];
  for (let at = 0; at + HDR <= buf.length; ) {
    const len = view.getUint32(at, true);
    const type = view.getUint16(at + 16, true);
    const flags = view.getUint16(at + 18, true);
    const n1 = view.getUint32(at + 72, true);
    const n2 = view.getUint32(at + 76, true);
    const count = Number(view.getBigUint64(at + 64, true));
    if (type === BIND || type === UNBIND) {
      const text = (from: number, n: number) => decoder.decode(buf.subarray(at + HDR + from, at + HDR + from + n));
      out.push({
        pos: Number(view.getBigUint64(at + 8, true)),
        bind: type === BIND,
        isNew: (flags & 1) !== 0,
        outside: (flags & 2) !== 0,
        mode: view.getUint32(at + 20, true),
        ident: `${view.getBigUint64(at + 24, true)}:${view.getBigUint64(at + 32, true)}`,
        parent: `${view.getBigUint64(at + 40, true)}:${view.getBigUint64(at + 48, true)}`,
        name: text(0, n1),
        absPath: type === BIND ? text(n1 + n2, count) : "",
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
