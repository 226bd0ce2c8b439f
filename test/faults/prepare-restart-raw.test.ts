// The raw oracle's backup (the writer's seeded mutations, journaled by the real shim while hb copies) prepared
// once without interruption, which must equal the writer's replay; then prepare SIGKILLed at points spread over
// every kind of step (first, middle and last WRITE, TRUNC and FALLOC the replay applies, tree entries, moves,
// the hash list, each phase), and run again: byte for byte the uninterrupted result, and hb verify passes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { recordPath } from "../../src/dest";
import { HB, run, SHIM, spawnBg, tempDir, waitFor } from "../helpers/harness";
import { compareTrees } from "../helpers/tree";
import { buildWriter, readCounter } from "../oracle/build-writer";

const SEED = 7;
const tmp = tempDir("hb-prepare-restart-raw");
const backup = join(tmp.path, "backup");
const reference = join(tmp.path, "reference");
let counts = { writes: 0, truncates: 0, fallocates: 0 };

const prepare = (dest: string, kill?: string) => run([HB, "prepare", dest], { env: kill ? { HB_PREPARE_KILL: kill } : {}, timeoutMs: 120_000 });

beforeAll(async () => {
  const writer = await buildWriter();
  const src = join(tmp.path, "src");
  const ready = join(tmp.path, "ready");
  mkdirSync(src);
  const proc = spawnBg([writer, "run", src, String(SEED), "--threads", "1", "--delay-us", "20", "--ready", ready], { env: { LD_PRELOAD: SHIM }, stderr: "ignore" });
  try {
    await waitFor(() => existsSync(ready), { what: "the writer to start", timeoutMs: 60_000 });
    await waitFor(() => readCounter(src, 0) >= 1500, { what: "warm-up ops", timeoutMs: 60_000 });
    const r = await run([HB, "backup", "--raw", "--source", src, "--pid", String(proc.pid), "--throttle", "1M", backup], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
  expect((await run(["cp", "-a", backup, reference])).code).toBe(0);
  const r = await prepare(reference);
  expect(r.code).toBe(0);
  const m = /\((\d+) writes of \d+ bytes, (\d+) truncates, (\d+) fallocates\)/.exec(r.stderr)!;
  counts = { writes: Number(m[1]), truncates: Number(m[2]), fallocates: Number(m[3]) };
}, 300_000);

afterAll(() => tmp[Symbol.dispose]());

test("the uninterrupted prepare equals the writer's replay, and replays every kind of record", async () => {
  expect(counts.writes).toBeGreaterThan(100);
  expect(counts.truncates).toBeGreaterThan(5);
  expect(counts.fallocates).toBeGreaterThan(5);
  const k = readCounter(reference, 0);
  const diffs: string[][] = [];
  for (const upto of [`${k}`, `${k}+`]) {
    const dir = join(tmp.path, `replay-${upto}`);
    expect((await run([await buildWriter(), "replay", dir, String(SEED), "--upto", upto], { env: { LD_PRELOAD: undefined } })).code).toBe(0);
    diffs.push(await compareTrees(join(reference, "t0"), join(dir, "t0")));
  }
  expect(diffs.some((d) => d.length === 0)).toBe(true);
}, 120_000);

describe("hb prepare of the raw oracle's backup SIGKILLed, then run again", () => {
  const spread = (n: number) => [...new Set([1, Math.ceil(n / 3), Math.ceil((2 * n) / 3), n])];
  const points = () => [
    ...spread(counts.writes).map((n) => `write:${n}`),
    ...spread(counts.truncates).map((n) => `trunc:${n}`),
    ...spread(counts.fallocates).map((n) => `falloc:${n}`),
    "tree:1", "tree:20", "chmod:5", "move:1", "hash:10",
    ...[1, 2, 3, 4, 5, 6].flatMap((n) => [`phase:${n}`, `done:${n}`]),
  ];
  test("at points of every kind: the uninterrupted result byte for byte", async () => {
    const list = points();
    expect(list.length).toBeGreaterThan(20);
    console.error(`prepare-restart-raw: ${counts.writes} writes, ${counts.truncates} truncates, ${counts.fallocates} fallocates replayed; ${list.length} kills`);
    for (const point of list) {
      const dest = join(tmp.path, `killed-${point.replace(":", "-")}`);
      expect((await run(["cp", "-a", backup, dest])).code).toBe(0);
      const killed = await prepare(dest, point);
      expect({ point, signal: killed.signal }).toEqual({ point, signal: "SIGKILL" });
      const again = await prepare(dest);
      expect({ point, code: again.code }).toEqual({ point, code: 0 });
      expect({ point, diffs: await compareTrees(join(dest, "t0"), join(reference, "t0")) }).toEqual({ point, diffs: [] });
      expect(readFileSync(recordPath(dest, "hashes"), "utf8")).toBe(readFileSync(recordPath(reference, "hashes"), "utf8"));
      expect((await run([HB, "verify", dest])).code).toBe(0);
      await run(["rm", "-rf", dest]);
    }
  }, 600_000);
});
