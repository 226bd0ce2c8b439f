// Diagnostic: what a journaled write costs the server while the capture's ring is written for the first time.
// A process with the shim writes 16 KiB every 200 µs (80 MB/s: the 64 MiB ring's first lap is the first two
// tenths of a pass) in two passes, each inside a capture of its own, as two backups of one server are; and
// once with no capture. Prints the mean ns per write of each tenth of each pass.
// Usage: bun run bench/ring-first-lap.ts [rounds]
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../src/capture/control";
import { compileC, SHIM, tempDir, testEnv } from "./lib/harness";

const exe = compileC(join(import.meta.dir, "paced_pwrite.c"));
const rounds = Number(process.argv[2] ?? 2);

async function passes(capturing: boolean): Promise<string[]> {
  await using tmp = tempDir("ring-first-lap");
  const proc = Bun.spawn([exe, tmp.path, "16384", "20000", "200"], { env: { ...testEnv, LD_PRELOAD: SHIM }, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  const count = (what: RegExp) => out.match(what)?.length ?? 0;
  const until = async (what: RegExp, n: number) => {
    while (count(what) < n) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`paced_pwrite ended early: ${out}`);
      out += new TextDecoder().decode(value);
    }
  };
  const journal = openSync(join(tmp.path, "journal"), "w");
  await until(/ready\n/g, 1); // the shim is set up by then
  const cap = capturing ? Capture.attach(proc.pid) : undefined;
  try {
    for (let pass = 1; pass <= 2; pass++) {
      await until(/ready\n/g, pass);
      cap?.begin({ roots: [tmp.path], journalFd: journal, ringBytes: 64 << 20, leaseMs: 10_000, maxWaitMs: 5_000 });
      proc.stdin.write("go\n");
      await until(/tenths[^\n]*\n/g, pass);
      if (cap && cap.end() !== 0) throw new Error("the capture failed");
    }
  } finally {
    cap?.detach();
    closeSync(journal);
  }
  await proc.exited;
  return out.split("\n").filter((l) => l.startsWith("tenths"));
}

for (let r = 0; r < rounds; r++) {
  for (const capturing of [false, true]) {
    const [first, second] = await passes(capturing);
    console.log(`${capturing ? "capture" : "no capture"}, pass 1: ${first}\n${capturing ? "capture" : "no capture"}, pass 2: ${second}`);
  }
}
