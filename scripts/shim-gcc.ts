// How the shim is compiled, in one place: build.ts builds dist/libhbshim.so with it, and the tests build their
// variants of the same library (AddressSanitizer, another protocol version) and its objects with it.
import { join } from "node:path";

/** Every file the library is built from (sources, headers, the export list), sorted. */
export function shimFiles(root: string): string[] {
  return [...new Bun.Glob("shim/**/*.{c,h,map}").scanSync({ cwd: root })].sort().map((f) => join(root, f));
}

/** The flags every source of the library is compiled with. */
export const shimCflags = (root: string) => [
  "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-D_GNU_SOURCE", `-I${join(root, "shim")}`,
];

/** The gcc command that builds the library at `output`; later flags win (a later -O1 over -O2). */
export function shimGccCommand(root: string, output: string, extraFlags: string[] = []): string[] {
  const sources = shimFiles(root).filter((f) => f.endsWith(".c"));
  if (sources.length === 0) throw new Error(`no C sources in ${join(root, "shim")}`);
  return [
    "gcc", ...shimCflags(root), "-shared", "-Wl,-z,defs", ...extraFlags, `-Wl,--version-script=${join(root, "shim/exports.map")}`,
    "-o", output, ...sources, "-ldl", "-lpthread",
  ];
}
