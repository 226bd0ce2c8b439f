// The library's two halves stay apart: what runs in the server (shim/server/) and what hb runs through bun:ffi
// (shim/hb/) call nothing of each other, only what both share (shim/common/). And hb's half, with the shared
// code, names none of the functions the library interposes: the library exports its wrappers under libc's own
// names, so a plain call to one would bind to whichever the process found first, in a server that preloads
// the shim its own wrapper (shim/common/real.h). Checked on each source's object file, as the compiler left it.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { shimCflags, shimFiles } from "../../scripts/shim-gcc";
import { ROOT, tempDir } from "../helpers/harness";

interface ObjectSymbols {
  source: string; // "hb/drain.c"
  half: string; // "server", "hb" or "common"
  defined: Set<string>;
  undefined: Set<string>;
}

function nm(args: string[]): string[] {
  const r = Bun.spawnSync(["nm", ...args], { stderr: "pipe" });
  if (!r.success) throw new Error(`nm ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.toString().trim().split("\n").filter(Boolean);
}

function objects(): ObjectSymbols[] {
  using dir = tempDir("hb-boundary");
  return shimFiles(ROOT)
    .filter((f) => f.endsWith(".c"))
    .map((file) => {
      const source = relative(join(ROOT, "shim"), file);
      const obj = join(dir.path, `${source.replace("/", "-")}.o`);
      const cc = Bun.spawnSync(["gcc", ...shimCflags(ROOT), "-c", "-o", obj, file], { stderr: "pipe" });
      if (!cc.success) throw new Error(`gcc ${source}: ${cc.stderr}`);
      const defined = nm(["--defined-only", obj]).map((l) => l.split(" ").pop()!);
      const undef = nm(["--undefined-only", obj]).map((l) => l.trim().split(/\s+/).pop()!);
      return { source, half: source.split("/")[0]!, defined: new Set(defined), undefined: new Set(undef) };
    });
}

/** The names the library interposes: what exports.map exports, but for its own hb_ API. */
function interposed(): Set<string> {
  const map = readFileSync(join(ROOT, "shim/exports.map"), "utf8");
  const globals = /global:([\s\S]*?)local:/.exec(map)![1]!;
  return new Set(globals.split(/[\s;]+/).filter((n) => n && !n.startsWith("hb_")));
}

const objs = objects();
const definedIn = (half: string) => new Set(objs.filter((o) => o.half === half).flatMap((o) => [...o.defined]));
const uses = (o: ObjectSymbols, names: Set<string>) => [...o.undefined].filter((n) => names.has(n)).map((n) => `${o.source}: ${n}`);

describe("the shim's halves", () => {
  test("every source is in server/, hb/ or common/", () => {
    expect(objs.length).toBeGreaterThan(20);
    expect(objs.filter((o) => !["server", "hb", "common"].includes(o.half)).map((o) => basename(o.source))).toEqual([]);
  });

  test("hb's half and the shared code call no interposed name directly", () => {
    const names = interposed();
    expect(names.has("pwrite64") && names.has("fallocate") && names.has("open")).toBe(true);
    expect(objs.filter((o) => o.half !== "server").flatMap((o) => uses(o, names))).toEqual([]);
  });

  test("the server's half calls nothing of hb's, hb's nothing of the server's, the shared code neither", () => {
    const server = definedIn("server"), hb = definedIn("hb");
    expect(objs.filter((o) => o.half === "server").flatMap((o) => uses(o, hb))).toEqual([]);
    expect(objs.filter((o) => o.half === "hb").flatMap((o) => uses(o, server))).toEqual([]);
    expect(objs.filter((o) => o.half === "common").flatMap((o) => uses(o, new Set([...server, ...hb])))).toEqual([]);
  });
});
