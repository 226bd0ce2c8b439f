// Raw copy throughput against cp -r of the same tree in the same run (both followed by a sync, since hb
// syncs its backup), and the throttle's accuracy. The source's owner is an idle process with the shim.
import { mkdirSync, openSync, closeSync, writeSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HB, run, SHIM, spawnBg, tempDir } from "./lib/harness";
import { dropCaches } from "./lib/caches";

/** A tree of `files` files of `fileMiB` MiB each, in 8 directories, with incompressible data. */
function makeTree(dir: string, files: number, fileMiB: number) {
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  for (let f = 0; f < files; f++) {
    const sub = join(dir, `d${f % 8}`);
    mkdirSync(sub, { recursive: true });
    const fd = openSync(join(sub, `f${f}`), "w");
    for (let m = 0; m < fileMiB; m++) {
      chunk.writeUInt32LE(f * 4096 + m, 0);
      writeSync(fd, chunk);
    }
    closeSync(fd);
  }
}

async function timed(cmd: string[]): Promise<number> {
  const t = performance.now();
  const r = await run(cmd, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr}`);
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function rawCopy({ totalMiB = 2048, rounds = 3 } = {}) {
  await using tmp = tempDir("bench-copy");
  const src = join(tmp.path, "src");
  makeTree(src, totalMiB / 32, 32);
  await using owner = spawnBg(["sleep", "3600"], { env: { LD_PRELOAD: SHIM } });
  await Bun.sleep(200);
  const cold = dropCaches();
  const hb: number[] = [];
  const cp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const out = join(tmp.path, "out");
    dropCaches();
    hb.push(await timed([HB, "backup", "--raw", "--quiet", "--source", src, "--pid", String(owner.pid), out]));
    rmSync(out, { recursive: true, force: true });
    dropCaches();
    cp.push(await timed(["sh", "-c", `cp -r "${src}" "${out}" && sync`]));
    rmSync(out, { recursive: true, force: true });
  }
  const mib = (ms: number) => totalMiB / (ms / 1000);
  return {
    totalMiB,
    coldCache: cold,
    hbMs: Math.round(median(hb)),
    cpMs: Math.round(median(cp)),
    hbMiBps: Math.round(mib(median(hb))),
    cpMiBps: Math.round(mib(median(cp))),
    ratio: Number((median(cp) / median(hb)).toFixed(3)), // throughput of hb relative to cp
  };
}

/** Copies a tree of ~5 s worth at `rate` and reports the achieved rate of the copy phase. */
export async function throttleAccuracy(rateMiB: number) {
  await using tmp = tempDir("bench-throttle");
  const src = join(tmp.path, "src");
  const totalMiB = rateMiB * 5;
  makeTree(src, Math.max(8, totalMiB / 8), Math.min(8, totalMiB / 8));
  await using owner = spawnBg(["sleep", "3600"], { env: { LD_PRELOAD: SHIM } });
  await Bun.sleep(200);
  const r = await run([HB, "backup", "--raw", "--json", "--source", src, "--pid", String(owner.pid), "--throttle", `${rateMiB}M`, join(tmp.path, "out")], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(r.stderr);
  const res = JSON.parse(r.stdout) as { bytesCopied: number; copyMs: number };
  const achieved = res.bytesCopied / (1 << 20) / (res.copyMs / 1000);
  return { targetMiBps: rateMiB, achievedMiBps: Number(achieved.toFixed(2)), error: Number((achieved / rateMiB - 1).toFixed(4)) };
}

if (import.meta.main) {
  console.log(await rawCopy({ totalMiB: Number(process.env.HB_BENCH_MIB ?? 2048) }));
  for (const rate of [20, 100]) console.log(await throttleAccuracy(rate));
}
