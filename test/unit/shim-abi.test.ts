// The seam between C and TypeScript: every enum constant, hb_ctl_stat slot and journal record field that hb
// reads from the shim, as the C compiler sees them in the headers, against the TypeScript that mirrors them.
// Names are taken from the headers themselves, so a constant added, renamed, renumbered or removed on one
// side only fails here.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIND_NEW, BIND_OUTSIDE, F, HB_REC_COMMITTED, HB_REC_HDR, HB_REC_MAX_DATA, RecType } from "../../src/journal/format";
import { CaptureState, ShimError, StatSlot, UNJOURNALED_BYTES } from "../../src/shim/abi";
import { SHIM_PROTOCOL } from "../../src/version";
import { ROOT, tempDir } from "../helpers/harness";

const HEADERS = ["shim/common/control.h", "shim/common/record.h", "shim/hb/api.h"];
const text = HEADERS.map((h) => readFileSync(join(ROOT, h), "utf8"))
  .join("\n")
  .replace(/\/\*[\s\S]*?\*\//g, "");

/** The enumerators of `enum name { ... }`, in the header's order. */
function enumerators(name: string): string[] {
  const body = new RegExp(`enum ${name}\\s*\\{([^}]*)\\}`).exec(text)?.[1];
  if (!body) throw new Error(`no enum ${name} in ${HEADERS.join(", ")}`);
  return body.split(",").map((e) => e.split("=")[0]!.trim()).filter(Boolean);
}

/** The fields of `struct name { ... }`, in order. */
function fields(name: string): string[] {
  const body = new RegExp(`struct ${name}\\s*\\{([^}]*)\\}`).exec(text)?.[1];
  if (!body) throw new Error(`no struct ${name}`);
  return body
    .split(";")
    .map((d) => d.trim())
    .filter(Boolean)
    .flatMap((d) => d.replace(/^\S+\s+/, "").split(",").map((f) => f.trim()));
}

const DEFINES = ["HB_PROTOCOL", "HB_UNJOURNALED_BYTES", "HB_REC_HDR", "HB_REC_COMMITTED", "HB_REC_MAX_DATA", "HB_BIND_NEW", "HB_BIND_OUTSIDE"];
const ENUMS = ["hb_err", "hb_state", "hb_stat_slot", "hb_rec_type"];
const REC_FIELDS = fields("hb_rec");

/** What the C compiler makes of every name above: name -> value (offsets as "offsetof:field"). */
function compiled(): Map<string, number> {
  const names = [...DEFINES, ...ENUMS.flatMap(enumerators)];
  const lines = [
    ...names.map((n) => `printf("%s %llu\\n", "${n}", (unsigned long long)(${n}));`),
    ...REC_FIELDS.map((f) => `printf("offsetof:%s %zu\\n", "${f}", offsetof(struct hb_rec, ${f}));`),
  ];
  using dir = tempDir("hb-abi");
  const source = join(dir.path, "abi.c"), exe = join(dir.path, "abi");
  writeFileSync(source, `#include <stddef.h>\n#include <stdio.h>\n#include "hb/api.h"\nint main(void)\n{\n${lines.join("\n")}\nreturn 0;\n}\n`);
  // Compiled afresh every run: a cached build would miss a value changed in a header.
  const cc = Bun.spawnSync(["gcc", "-Wall", "-Werror", "-D_GNU_SOURCE", `-I${join(ROOT, "shim")}`, "-o", exe, source], { stderr: "pipe" });
  if (!cc.success) throw new Error(`compiling the headers failed:\n${cc.stderr}`);
  const out = Bun.spawnSync([exe]).stdout.toString();
  return new Map(out.trim().split("\n").map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]));
}

const c = compiled();
const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** The enum's constants as TypeScript names them: HB_E_RING_FULL -> ringFull with prefix HB_E_. */
function fromC(name: string, prefix: string, rename: (rest: string) => string = camel): Record<string, number> {
  return Object.fromEntries(enumerators(name).map((e) => [rename(e.slice(prefix.length)), c.get(e)!]));
}

describe("the shim's C headers and src/ agree", () => {
  test("enum hb_err: ShimError", () => {
    expect(fromC("hb_err", "HB_E_")).toEqual(ShimError);
  });

  test("enum hb_state: CaptureState", () => {
    expect(fromC("hb_state", "HB_")).toEqual(CaptureState);
  });

  test("enum hb_stat_slot: StatSlot, every slot hb_ctl_stat fills in", () => {
    expect(fromC("hb_stat_slot", "HB_STAT_")).toEqual(StatSlot);
  });

  test("the journal record: types, flags, sizes and every header field's offset", () => {
    expect(fromC("hb_rec_type", "HB_REC_", (s) => s)).toEqual(RecType);
    expect({ BIND_NEW, BIND_OUTSIDE, HB_REC_HDR, HB_REC_COMMITTED, HB_REC_MAX_DATA }).toEqual({
      BIND_NEW: c.get("HB_BIND_NEW")!,
      BIND_OUTSIDE: c.get("HB_BIND_OUTSIDE")!,
      HB_REC_HDR: c.get("HB_REC_HDR")!,
      HB_REC_COMMITTED: c.get("HB_REC_COMMITTED")!,
      HB_REC_MAX_DATA: c.get("HB_REC_MAX_DATA")!,
    });
    expect(Object.fromEntries(REC_FIELDS.map((f) => [f, c.get(`offsetof:${f}`)!]))).toEqual(F);
  });

  test("the protocol version and the control block's table sizes", () => {
    expect(SHIM_PROTOCOL).toBe(c.get("HB_PROTOCOL")!);
    expect(UNJOURNALED_BYTES).toBe(c.get("HB_UNJOURNALED_BYTES")!);
  });
});
