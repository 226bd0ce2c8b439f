// Compiles a test's C program once per content and flags, into the temp directory, and returns its path.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function compileC(source: string, flags: string[] = []): string {
  const digest = createHash("sha256").update(readFileSync(source)).update(flags.join(" ")).digest("hex").slice(0, 16);
  const out = join(tmpdir(), `hb-test-${digest}`);
  if (existsSync(out)) return out;
  const cc = Bun.spawnSync(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-o", `${out}.tmp`, source, ...flags], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (!cc.success) throw new Error(`gcc ${source} failed:\n${cc.stderr.toString()}`);
  renameSync(`${out}.tmp`, out);
  return out;
}
