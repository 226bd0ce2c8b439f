// Durability by fsync of each file and directory. Not syncfs: on a filesystem the server shares, syncfs also
// writes out the server's dirty pages (its binlog: tens of MiB under load) in one burst that its commits
// queue behind; fsync of our own files flushes only what we wrote.
import { closeSync, constants, fsyncSync, openSync, readdirSync, renameSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` with `text` whole or not at all: a temporary file (never followed if a symlink was planted
 * there, mode 0600), fsync, rename over the old one, fsync of the directory. A reader sees the old or the new.
 */
export function writeFileDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncPath(dirname(file));
}

/** Every regular file and directory under root (root included), each directory after its entries. */
function syncOrder(root: string, into: string[] = []): string[] {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory()) syncOrder(join(root, e.name), into);
    else if (e.isFile()) into.push(join(root, e.name));
  }
  into.push(root);
  return into;
}

/** The tree durable: each file, then its directory. */
export function fsyncTree(root: string): void {
  for (const path of syncOrder(root)) fsyncPath(path);
}

/** fsync (or fdatasync) of one path, off the event loop. */
export async function fsyncPathAsync(path: string, dataOnly = false): Promise<void> {
  const file = await open(path, "r");
  try {
    await (dataOnly ? file.datasync() : file.sync());
  } finally {
    await file.close();
  }
}

/** The same off the event loop and 8 at a time, for while a capture needs hb to keep draining it. In no
 * particular order: this only empties the caches early, fsyncTree at the end still makes the tree durable. A
 * file gone since the listing has nothing left to sync. */
export async function fsyncTreeAsync(root: string): Promise<void> {
  const sync = (path: string) =>
    fsyncPathAsync(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  const paths = syncOrder(root);
  for (let i = 0; i < paths.length; i += 8) await Promise.all(paths.slice(i, i + 8).map(sync));
}
