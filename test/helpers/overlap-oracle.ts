// The overlap oracle: threads that write the same files at once while a backup copies them
// (test/shim/overlap.c). The shim lets writes to different bytes of one file run together and makes
// overlapping ones take turns (shim/server.c), so the journal holds overlapping writes in the order they
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
  preload?: string;
  env?: Record<string, string>;
  /** How long the writers run once the capture has begun, and their pause between calls. */
  writeMs: number;
  delayUs: number;
}

/** Runs the writers through a backup; returns the differing files, the writer's ops and its stderr. */
export async function overlapOracle(o: OverlapOptions) {
  await using tmp = tempDir("overlap");
  const src = join(tmp.path, "src");
  const dest = join(tmp.path, "backup");
  mkdirSync(src);
  for (const [i, name] of FILES.entries()) writeFileSync(join(src, name), Buffer.alloc(4 * MiB, 0x41 + i));
  const writer = spawnBg([o.writer ?? overlapWriter(), src, String(o.threads), String(o.delayUs)], {
    env: { LD_PRELOAD: o.preload ?? SHIM, ...o.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  await using _writer = reaped(writer);
  const out = new Response(writer.stdout as ReadableStream).text();
  const err = new Response(writer.stderr as ReadableStream).text();
  // The writers are busy before the capture begins, so it begins among calls in flight.
  await Bun.sleep(300);
  const backup = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(writer.pid), "--throttle", "1M", dest], { stderr: "pipe" });
  await using _backup = reaped(backup);
  let log = "";
  const logged = (async () => {
    for await (const chunk of backup.stderr as ReadableStream<Uint8Array>) log += new TextDecoder().decode(chunk);
  })();
  await waitFor(() => log.includes("capture began"), { what: () => `the capture to begin: ${log}`, timeoutMs: 60_000 });
  await Bun.sleep(o.writeMs);
  writer.kill("SIGTERM");
  const writerCode = await writer.exited;
  const endedBeforeWriters = backup.exitCode !== null; // then the backup's end point is not the state left
  const backupCode = await backup.exited;
  await logged;
  expect(endedBeforeWriters).toBe(false);
  expect(writerCode).toBe(0); // the shim never made a call of the writer's fail
  expect(backupCode === 0 ? "" : log).toBe("");
  const prepare = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
  expect(prepare.code === 0 ? "" : prepare.stderr).toBe("");
  const differing = FILES.filter((f) => !readFileSync(join(dest, f)).equals(readFileSync(join(src, f))));
  const ops = Number(/ops (\d+)/.exec(await out)?.[1] ?? NaN);
  const leftOut = Number(/\((\d+) bytes of writes left out/.exec(log)?.[1] ?? NaN);
  return { differing, ops, leftOut, writerStderr: await err };
}
