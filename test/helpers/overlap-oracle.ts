// The overlap oracle: threads that write the same files at once while a backup copies them
// (test/shim/overlap.c). The shim lets writes to different bytes of one file run together and makes
// overlapping ones take turns (shim/server/locks.c), so the journal holds overlapping writes in the order they
// landed. The writers stop before the backup ends, so the prepared backup must equal the files as they
// were left, byte for byte.
import { expect } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileC } from "./cc";
import { HB, reaped, ROOT, run, SHIM, spawnBg, tempDir, waitFor } from "./harness";

const MiB = 1 << 20;
const FILES = ["hot0", "hot1"];

export const overlapWriter = (flags: string[] = []) => compileC(join(ROOT, "test/shim/overlap.c"), ["-pthread", ...flags]);

interface OverlapOptions {
  threads: number;
  writer?: string;
  wrap?: string[]; // runs the writer under this (valgrind)
  preload?: string;
  env?: Record<string, string>;
  /** How long the writers run once the capture has begun, and their pause between calls. */
  writeMs: number;
  delayUs: number;
  /** The copy's rate (1M: ~8 s): the writers must be done before the backup ends. */
  throttle?: string;
}

/** Runs the writers through a backup; returns the differing files, the writer's ops and its stderr. */
export async function overlapOracle(o: OverlapOptions) {
  await using tmp = tempDir("overlap");
  const src = join(tmp.path, "src");
  const dest = join(tmp.path, "backup");
  mkdirSync(src);
  for (const [i, name] of FILES.entries()) writeFileSync(join(src, name), Buffer.alloc(4 * MiB, 0x41 + i));
  const writer = spawnBg([...(o.wrap ?? []), o.writer ?? overlapWriter(), src, String(o.threads), String(o.delayUs)], {
    env: { LD_PRELOAD: o.preload ?? SHIM, ...o.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  await using _writer = reaped(writer);
  const out = collect(writer.stdout as ReadableStream<Uint8Array>);
  const err = collect(writer.stderr as ReadableStream<Uint8Array>);
  // The writers are busy before the capture begins, so it begins among calls in flight.
  await waitFor(() => out.text.includes("ready") || writer.exitCode !== null, { what: "the writer to start", timeoutMs: 60_000 });
  const backup = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(writer.pid), "--throttle", o.throttle ?? "1M", dest], { stderr: "pipe" });
  await using _backup = reaped(backup);
  const log = collect(backup.stderr as ReadableStream<Uint8Array>);
  await waitFor(() => log.text.includes("capture began") || backup.exitCode !== null, { what: "the capture to begin", timeoutMs: 60_000 });
  await Bun.sleep(o.writeMs);
  writer.kill("SIGTERM");
  const writerCode = await writer.exited;
  const endedBeforeWriters = backup.exitCode !== null; // then the backup's end point is not the state left
  const backupCode = await backup.exited;
  await Promise.all([out.done, err.done, log.done]);
  expect(backupCode === 0 ? "" : log.text).toBe("");
  expect(endedBeforeWriters).toBe(false);
  expect(writerCode).toBe(0); // the shim never made a call of the writer's fail
  const prepare = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
  expect(prepare.code === 0 ? "" : prepare.stderr).toBe("");
  const differing = FILES.filter((f) => !readFileSync(join(dest, f)).equals(readFileSync(join(src, f))));
  const ops = Number(/ops (\d+)/.exec(out.text)?.[1] ?? NaN);
  const leftOut = Number(/\((\d+) bytes of writes left out/.exec(log.text)?.[1] ?? NaN);
  return { differing, ops, leftOut, writerStderr: err.text };
}

/** A stream's text so far, read as it comes. */
function collect(stream: ReadableStream<Uint8Array>) {
  const c = { text: "", done: Promise.resolve() };
  c.done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) c.text += decoder.decode(chunk, { stream: true });
  })();
  return c;
}
