// The shim travels inside the hb binary. The server needs it as a real file at a path that does not change
// between runs (it goes into LD_PRELOAD of a service), so installShim() writes it out once per content.
import { createHash, randomBytes } from "node:crypto";
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import shimFile from "../../dist/libhbshim.so" with { type: "file" };
import { HbError } from "../errors";
import { VERSION } from "../version";

/**
 * Where the embedded shim can be read: dist/libhbshim.so when run from source, a `/$bunfs/root/…` path inside
 * the compiled binary (readable with node:fs and Bun.file; bun:ffi's dlopen copies it to $TMPDIR first).
 */
export function embeddedShimPath(): string {
  try {
    accessSync(shimFile, constants.R_OK);
  } catch (error) {
    throw new HbError("shim", `the embedded shim ${shimFile} cannot be read: ${(error as Error).message}`, "rebuild with `npm run build`");
  }
  return shimFile;
}

/** The directory installShim() uses without --dir or HB_SHIM_DIR. */
export function defaultShimDir(): string {
  if (process.getuid?.() === 0) return "/usr/local/lib/hb";
  const cache = process.env.XDG_CACHE_HOME;
  return join(cache && isAbsolute(cache) ? cache : join(homedir(), ".cache"), "hb");
}

/** Writes the shim to `<dir>/libhbshim-<version>-<sha256:12>.so` unless it is already there; returns that path. */
export function installShim(dir?: string): string {
  const targetDir = resolve(dir ?? process.env.HB_SHIM_DIR ?? defaultShimDir());
  const content = readFileSync(embeddedShimPath());
  const digest = createHash("sha256").update(content).digest("hex").slice(0, 12);
  const target = join(targetDir, `libhbshim-${VERSION}-${digest}.so`);
  if (hasContent(target, content)) return target;
  try {
    makeDirs(targetDir);
    replaceFile(target, content);
  } catch (error) {
    throw new HbError(
      "io",
      `cannot install the shim in ${targetDir}: ${(error as Error).message}`,
      "pass --dir or set HB_SHIM_DIR to a directory you can write and the server's user can read",
    );
  }
  return target;
}

function hasContent(path: string, content: Buffer): boolean {
  try {
    return readFileSync(path).equals(content);
  } catch {
    return false;
  }
}

// Created directories get 0755 whatever the umask: the server's user must reach the shim to preload it.
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir));
  mkdirSync(dir);
  chmodSync(dir, 0o755);
}

// Never write into an existing .so: a running server has it mapped, and changing its pages under the server
// crashes it. A new file renamed over the old name leaves the mapped inode untouched.
function replaceFile(target: string, content: Buffer): void {
  const temp = join(dirname(target), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = openSync(temp, "wx", 0o644);
    try {
      writeFileSync(fd, content);
      fchmodSync(fd, 0o644); // the umask may have taken bits away
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
