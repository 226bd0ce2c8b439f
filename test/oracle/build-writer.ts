// Builds test/oracle/writer.c (once per content, see compileC) and reads what the writer leaves.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileC } from "../helpers/cc";

export const WRITER_SRC = join(import.meta.dir, "writer.c");

/** Path of the compiled writer binary. */
export async function buildWriter(): Promise<string> {
  return compileC(WRITER_SRC, ["-pthread"]);
}

/** Op number stored in DIR/t<t>/.counter (8 bytes, little-endian). */
export function readCounter(dir: string, thread: number): number {
  const b = readFileSync(join(dir, `t${thread}`, ".counter"));
  if (b.length !== 8) throw new Error(`${dir}/t${thread}/.counter: ${b.length} bytes, expected 8`);
  return Number(b.readBigUInt64LE(0));
}

/** The `op <name> <count>` lines the writer prints to stderr at exit. */
export function parseOpCounts(stderr: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [, name, n] of stderr.matchAll(/^op (\S+) (\d+)$/gm)) m.set(name as string, Number(n));
  return m;
}
