// Durability by fsync of each file and directory. Not syncfs: on a filesystem the server shares, syncfs also
// writes out the server's dirty pages (its binlog: tens of MiB under load) in one burst that its commits
// queue behind; fsync of our own files flushes only what we wrote.
import { closeSync, fsyncSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of every regular file and directory under root (root included), each directory after its entries. */
export function fsyncTree(root: string): void {
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory()) fsyncTree(join(root, e.name));
    else if (e.isFile()) fsyncPath(join(root, e.name));
  }
  fsyncPath(root);
}
