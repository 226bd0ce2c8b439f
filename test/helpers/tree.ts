// Compare two directory trees the way the oracles need: names, types, sizes, bytes, symlink targets,
// permission bits (mode & 0o7777) of regular files and directories, and hard-link structure.
import { open, lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

type Kind = "file" | "dir" | "symlink" | "other";
type Entry = { kind: Kind; size: number; perm: number; ident: string; target?: string };
type Tree = { entries: Map<string, Entry>; links: Map<string, string[]> }; // ident -> paths (files only)

const kindOf = (m: number): Kind =>
  (m & 0o170000) === 0o100000 ? "file" : (m & 0o170000) === 0o040000 ? "dir" : (m & 0o170000) === 0o120000 ? "symlink" : "other";

async function walk(root: string, ignoreTop?: (name: string) => boolean): Promise<Tree> {
  const entries = new Map<string, Entry>();
  const links = new Map<string, string[]>();
  const rec = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      if (rel === "" && ignoreTop?.(name)) continue;
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, path), { bigint: true });
      const kind = kindOf(Number(st.mode));
      const ident = `${st.dev}:${st.ino}`;
      const e: Entry = { kind, size: Number(st.size), perm: Number(st.mode & 0o7777n), ident };
      if (kind === "symlink") e.target = await readlink(join(root, path));
      if (kind === "file") links.set(ident, [...(links.get(ident) ?? []), path]);
      entries.set(path, e);
      if (kind === "dir") await rec(path);
    }
  };
  await rec("");
  return { entries, links };
}

/** First differing byte offset of two files of equal size, or -1 if equal. */
async function firstDiff(a: string, b: string, size: number): Promise<number> {
  const [fa, fb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const n = 1 << 20;
    const ba = Buffer.alloc(n), bb = Buffer.alloc(n);
    for (let off = 0; off < size; off += n) {
      const len = Math.min(n, size - off);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, len, off), fb.read(bb, 0, len, off)]);
      if (ra.bytesRead !== len || rb.bytesRead !== len) return off; // changed under us: report, don't hang
      if (!ba.subarray(0, len).equals(bb.subarray(0, len)))
        for (let i = 0; i < len; i++) if (ba[i] !== bb[i]) return off + i;
    }
    return -1;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

const oct = (p: number) => `0${p.toString(8)}`;

/**
 * Differences between tree `a` and tree `b` (empty = equal). `ignoreTop(name)` drops top-level names of `a`
 * (hb adds `.hb`, `xtrabackup_*`, `hb_*`, `backup-my.cnf`). The roots' own modes are not compared.
 */
export async function compareTrees(
  a: string,
  b: string,
  opts: { ignoreTop?: (name: string) => boolean; max?: number } = {},
): Promise<string[]> {
  const [ta, tb] = await Promise.all([walk(a, opts.ignoreTop), walk(b)]);
  const max = opts.max ?? 1000;
  const out: string[] = [];
  let more = 0;
  const diff = (s: string) => (out.length < max ? out.push(s) : more++);
  const paths = [...new Set([...ta.entries.keys(), ...tb.entries.keys()])].sort();
  for (const p of paths) {
    const ea = ta.entries.get(p), eb = tb.entries.get(p);
    if (!ea || !eb) {
      const e = (ea ?? eb) as Entry;
      diff(`only in ${ea ? "a" : "b"}: ${p} (${e.kind}${e.kind === "file" ? `, ${e.size} bytes` : ""})`);
      continue;
    }
    if (ea.kind !== eb.kind) {
      diff(`type differs: ${p}: a=${ea.kind} b=${eb.kind}`);
      continue;
    }
    if (ea.kind === "symlink" && ea.target !== eb.target) diff(`symlink target differs: ${p}: a=${ea.target} b=${eb.target}`);
    if ((ea.kind === "file" || ea.kind === "dir") && ea.perm !== eb.perm)
      diff(`mode differs: ${p}: a=${oct(ea.perm)} b=${oct(eb.perm)}`);
    if (ea.kind !== "file") continue;
    if (ea.size !== eb.size) diff(`size differs: ${p}: a=${ea.size} b=${eb.size}`);
    else {
      const at = await firstDiff(join(a, p), join(b, p), ea.size);
      if (at >= 0) diff(`content differs: ${p}: first at byte ${at} of ${ea.size}`);
    }
    const la = (ta.links.get(ea.ident) ?? []).join(", "), lb = (tb.links.get(eb.ident) ?? []).join(", ");
    if (la !== lb) diff(`hard links differ: ${p}: a={${la}} b={${lb}}`);
  }
  if (more) out.push(`... and ${more} more differences`);
  return out;
}

export type TreeSummary = { files: number; dirs: number; symlinks: number; other: number; bytes: number };

/** Counts for messages: regular files, directories (the root not counted), symlinks, bytes of files. */
export async function treeSummary(dir: string): Promise<TreeSummary> {
  const s: TreeSummary = { files: 0, dirs: 0, symlinks: 0, other: 0, bytes: 0 };
  for (const e of (await walk(dir)).entries.values()) {
    if (e.kind === "file") {
      s.files++;
      s.bytes += e.size;
    } else if (e.kind === "dir") s.dirs++;
    else if (e.kind === "symlink") s.symlinks++;
    else s.other++;
  }
  return s;
}
