// Other builds of the shim and of the writer for tests: AddressSanitizer, another protocol version.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./harness";
import { compileC } from "./cc";
import { shimFiles, shimGccCommand } from "../../scripts/shim-gcc";

export const ASAN = ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1"];

export const libasan = () => Bun.spawnSync(["gcc", "-print-file-name=libasan.so"]).stdout.toString().trim();

/** The shim built with extra flags, cached by its files and the flags (built as build.ts builds it otherwise). */
function shimVariant(name: string, flags: string[]): string {
  const hash = createHash("sha256");
  for (const f of shimFiles(ROOT)) hash.update(f).update(readFileSync(f));
  hash.update(flags.join(" "));
  const out = join(tmpdir(), `hb-shim-${name}-${hash.digest("hex").slice(0, 16)}.so`);
  if (existsSync(out)) return out;
  const cc = Bun.spawnSync(shimGccCommand(ROOT, `${out}.tmp`, flags), { stderr: "pipe" });
  if (!cc.success) throw new Error(`building the ${name} shim failed:\n${cc.stderr}`);
  renameSync(`${out}.tmp`, out);
  return out;
}

export const asanShim = () => shimVariant("asan", ASAN);
export const otherProtocolShim = (version: number) => shimVariant(`proto${version}`, [`-DHB_PROTOCOL=${version}`]);

export const asanWriter = () => compileC(join(ROOT, "test/oracle/writer.c"), ["-pthread", ...ASAN]);
