// Builds dist/libhbshim.so from shim/ (scripts/shim-gcc.ts) with the system C compiler, then dist/hb: one executable holding the
// CLI, the Bun runtime and the shim. `--asan` (or HB_BUILD_ASAN=1) also builds dist/libhbshim-asan.so.
// Usage: bun run build.ts [--asan]
import { mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { shimGccCommand } from "./scripts/shim-gcc";
import { formatBytes } from "./src/units";

const root = import.meta.dir;
const dist = join(root, "dist");
const withAsan = process.argv.includes("--asan") || process.env.HB_BUILD_ASAN === "1";

function die(message: string): never {
  console.error(`build: ${message}`);
  process.exit(1);
}

const size = (path: string) => formatBytes(statSync(path).size);

// A build message with the place it points at ("src/x.ts:3:10: Could not resolve …").
function describe(message: unknown): string {
  const { position, message: text = String(message) } = message as Partial<BuildMessage>;
  return position ? `${position.file}:${position.line}:${position.column}: ${text}` : text;
}

function compileShim(output: string, extraFlags: string[]): void {
  // Build beside the target and rename: tests may have the old library mapped in a running process.
  const temp = `${output}.tmp`;
  const command = shimGccCommand(root, temp, extraFlags);
  console.log(`$ ${command.join(" ")}`);
  const gcc = Bun.spawnSync(command, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (!gcc.success) {
    rmSync(temp, { force: true });
    die(`gcc failed (exit ${gcc.exitCode ?? gcc.signalCode}) building ${output}`);
  }
  renameSync(temp, output);
  console.log(`built ${output} (${size(output)})`);
}

async function compileCli(output: string): Promise<void> {
  let result: Awaited<ReturnType<typeof Bun.build>>;
  try {
    result = await Bun.build({
      entrypoints: [join(root, "src/cli.ts")],
      // Not stripped: native stack traces from the shim and the runtime stay readable.
      compile: {
        outfile: output,
        // hb runs in other people's directories: a .env or bunfig.toml there must not change its behaviour.
        autoloadDotenv: false,
        autoloadBunfig: false,
      },
      // Stack traces point into src/ (the map is embedded in dist/hb; dist/hb.map is a by-product).
      sourcemap: "linked",
    });
  } catch (error) {
    // Bun.build throws an AggregateError of build messages when the bundle fails.
    for (const message of (error as AggregateError).errors ?? [error]) console.error(describe(message));
    die(`bun build --compile failed for ${output}`);
  }
  if (!result.success) {
    for (const message of result.logs) console.error(describe(message));
    die(`bun build --compile failed for ${output}`);
  }
  console.log(`built ${output} (${size(output)})`);
}

mkdirSync(dist, { recursive: true });
compileShim(join(dist, "libhbshim.so"), []);
if (withAsan) {
  // -O1 after -O2 wins: gcc takes the last -O.
  compileShim(join(dist, "libhbshim-asan.so"), ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1"]);
}
await compileCli(join(dist, "hb"));
