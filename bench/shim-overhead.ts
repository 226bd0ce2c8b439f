// What the shim costs a writing process per call: pwrite of 4 KiB and 16 KiB to cached pages, without the
// shim, with it loaded and idle, and with a capture running (journal to /dev/null: the cost measured is the
// server side's, not the disk's). Printed as ns per call and ratios to "no shim".
import { openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../src/capture/control";
import { compileC, SHIM, tempDir, testEnv } from "./lib/harness";

const exe = compileC(join(import.meta.dir, "pwrite_overhead.c"));
type Mode = "none" | "idle" | "capturing";

async function once(dir: string, size: number, calls: number, mode: Mode): Promise<number> {
  const env = { ...testEnv, ...(mode === "none" ? {} : { LD_PRELOAD: SHIM }), HB_BENCH_WAIT: "1" };
  const proc = Bun.spawn([exe, dir, String(size), String(calls)], { env, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("ready\n")) out += new TextDecoder().decode((await reader.read()).value);
  let cap: Capture | undefined;
  const devnull = openSync("/dev/null", "w");
  if (mode === "capturing") {
    cap = Capture.attach(proc.pid);
    cap.begin({ roots: [dir], journalFd: devnull, ringBytes: 64 << 20, leaseMs: 10_000, maxWaitMs: 5_000 });
  }
  proc.stdin.write("go\n");
  proc.stdin.end();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  await proc.exited;
  if (cap) {
    const code = cap.end();
    cap.detach();
    if (code !== 0) throw new Error(`capture failed during the benchmark: ${code}`);
  }
  closeSync(devnull);
  const m = /ns_per_call ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no result from pwrite_overhead: ${out}`);
  return Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function shimOverhead(rounds = 5) {
  await using tmp = tempDir("bench-overhead");
  const rows: { size: number; mode: Mode; nsPerCall: number; ratio: number }[] = [];
  for (const size of [4096, 16384]) {
    const calls = size === 4096 ? 200_000 : 100_000;
    const samples: Record<Mode, number[]> = { none: [], idle: [], capturing: [] };
    for (let r = 0; r < rounds; r++) for (const mode of ["none", "idle", "capturing"] as Mode[]) samples[mode].push(await once(tmp.path, size, calls, mode));
    const base = median(samples.none);
    for (const mode of ["none", "idle", "capturing"] as Mode[]) {
      const ns = median(samples[mode]);
      rows.push({ size, mode, nsPerCall: Math.round(ns), ratio: Number((ns / base).toFixed(3)) });
    }
  }
  return rows;
}

if (import.meta.main) {
  const rows = await shimOverhead();
  console.log("| pwrite size | shim | ns/call | × no shim |\n|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.size} | ${r.mode} | ${r.nsPerCall} | ${r.ratio} |`);
}
