// The shim library inside hb: the same file the server preloads, loaded once with dlopen (so it interposes
// nothing). Each binding module links only the functions of its own job: control-ffi.ts (captures),
// pool-ffi.ts (the copy pool), crc-ffi.ts (CRC32C) and ../libc.ts (file calls). shim/hb/api.h declares them.
import { dlopen, FFIType, linkSymbols, type FFIFunction, type Pointer } from "bun:ffi";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedShimPath } from "./embedded";

/** A NUL-terminated copy of s, for char* arguments. */
export const cstr = (s: string) => Buffer.from(`${s}\0`);

const RTLD_NOW = 2;
const libdl = {
  dlopen: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.ptr },
  dlsym: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
  dlerror: { args: [], returns: FFIType.cstring },
} as const;

let dl: ReturnType<typeof dlopen<typeof libdl>>["symbols"] | undefined;
let handle: Pointer | undefined;

function load(path: string): Pointer {
  dl ??= dlopen("libc.so.6", libdl).symbols;
  const h = dl.dlopen(cstr(path), RTLD_NOW);
  if (!h) throw new Error(`cannot load the shim ${path}: ${dl.dlerror()}`);
  return h as Pointer;
}

/**
 * Inside the compiled binary the shim lives in Bun's virtual filesystem, and bun:ffi would extract it to a
 * predictable name in $TMPDIR that it reuses without checking. Load our own private copy instead, and
 * remove it once mapped.
 */
function open(): Pointer {
  const embedded = embeddedShimPath();
  if (!embedded.startsWith("/$bunfs")) return load(embedded);
  const dir = mkdtempSync(join(tmpdir(), "hb-"));
  try {
    const copy = join(dir, "libhbshim.so");
    writeFileSync(copy, readFileSync(embedded), { mode: 0o700 }); // copyFileSync cannot read $bunfs
    return load(copy);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** These functions of the shim, callable from TypeScript (the library is loaded on first use). */
export function bindShim<T extends Record<string, FFIFunction>>(symbols: T) {
  const h = (handle ??= open());
  const linked = Object.fromEntries(
    Object.entries(symbols).map(([name, fn]) => {
      const ptr = dl!.dlsym(h, cstr(name));
      if (!ptr) throw new Error(`the shim has no function ${name}`);
      return [name, { ...fn, ptr }];
    }),
  ) as unknown as T;
  return linkSymbols(linked).symbols;
}
