// The raw oracle's own foundation, without any shim: `writer replay` reproduces exactly what `writer run`
// did, every op kind occurs, and compareTrees can fail.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, spawnBg, tempDir, waitFor } from "../helpers/harness.ts";
import { compareTrees, treeSummary } from "../helpers/tree.ts";
import { buildWriter, parseOpCounts, readCounter } from "./build-writer.ts";

const noShim = { env: { LD_PRELOAD: undefined } };

async function writer(...args: string[]) {
  const r = await run([await buildWriter(), ...args.map(String)], { ...noShim, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`writer ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.stderr}`);
  return r;
}

async function expectSame(a: string, b: string) {
  const diffs = await compareTrees(a, b);
  if (diffs.length) console.error(JSON.stringify(await treeSummary(a)), "\n" + diffs.slice(0, 20).join("\n"));
  expect(diffs).toEqual([]);
}

// Every kind the brief requires; the test below also requires every kind the writer itself lists.
const REQUIRED = [
  "pwrite", "pwrite64", "write_lseek", "write_append", "writev", "pwritev", "ftruncate", "ftruncate64",
  "truncate", "fallocate", "fallocate_keep_size", "fallocate_punch_hole", "posix_fallocate", "open_creat_new",
  "open_creat_existing", "openat_creat_new", "open_fd", "__open64_2_fd", "__openat64_2_fd", "rename",
  "rename_cross_dir", "rename_over", "renameat", "rename_dir", "unlink", "mkdir", "rmdir", "link", "symlink",
  "copy_file_range", "close",
];

describe("writer", () => {
  for (const threads of [1, 3])
    for (const seed of [1, 2, 42, 0xdeadbeef]) {
      test(`run --ops equals replay (seed ${seed}, ${threads} thread(s))`, async () => {
        using x = tempDir("hb-wr-run");
        using y = tempDir("hb-wr-replay");
        const n = 1500;
        await writer("run", x.path, String(seed), "--threads", String(threads), "--ops", String(n));
        for (let t = 0; t < threads; t++) expect(readCounter(x.path, t)).toBe(n);
        await writer("replay", y.path, String(seed), "--upto", Array(threads).fill(n).join(","));
        const s = await treeSummary(x.path);
        expect(s.files).toBeGreaterThan(threads * 5);
        await expectSame(x.path, y.path);
      }, 60_000);
    }

  test("run --seconds 1 with 3 threads: replaying the counters gives the same tree", async () => {
    using x = tempDir("hb-wr-run");
    using y = tempDir("hb-wr-replay");
    await writer("run", x.path, "7", "--threads", "3", "--seconds", "1");
    const ks = [0, 1, 2].map((t) => readCounter(x.path, t));
    for (const k of ks) expect(k).toBeGreaterThan(100);
    await writer("replay", y.path, "7", "--upto", ks.join(","));
    await expectSame(x.path, y.path);
  }, 60_000);

  test("SIGTERM finishes the current op and its counter, exits 0, and replays equal", async () => {
    using x = tempDir("hb-wr-run");
    using y = tempDir("hb-wr-replay");
    const ready = join(x.path, "ready");
    const proc = spawnBg([await buildWriter(), "run", join(x.path, "w"), "11", "--threads", "2", "--delay-us", "200",
      "--ready", ready], { ...noShim, stderr: "pipe" });
    const pid = await waitFor(() => existsSync(ready) && readFileSync(ready, "utf8").trim(), { what: "writer --ready" });
    expect(Number(pid)).toBe(proc.pid);
    await Bun.sleep(300);
    proc.kill("SIGTERM");
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream).text()]);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    const ks = [0, 1].map((t) => readCounter(join(x.path, "w"), t));
    for (const k of ks) expect(k).toBeGreaterThan(10);
    await writer("replay", y.path, "11", "--upto", ks.join(","));
    await expectSame(join(x.path, "w"), y.path);
  }, 60_000);

  test("the comparison can fail: replay of N-1 ops differs from a run of N; N-1+ differs only in .counter", async () => {
    using x = tempDir("hb-wr-run");
    using y = tempDir("hb-wr-replay");
    using z = tempDir("hb-wr-replay");
    const n = 400;
    await writer("run", x.path, "3", "--ops", String(n));
    await writer("replay", y.path, "3", "--upto", String(n - 1));
    const diffs = await compareTrees(x.path, y.path);
    expect(diffs.length).toBeGreaterThan(0);
    expect(diffs).toContain("content differs: t0/.counter: first at byte 0 of 8");
    // `K+` = ops 1..K+1 with the counter still at K: the state an image taken between op and counter shows.
    await writer("replay", z.path, "3", "--upto", `${n - 1}+`);
    expect(await compareTrees(x.path, z.path)).toEqual(["content differs: t0/.counter: first at byte 0 of 8"]);
  }, 60_000);

  test("every op kind happens", async () => {
    using x = tempDir("hb-wr-run");
    const r = await writer("run", x.path, "5", "--ops", "4000");
    const counts = parseOpCounts(r.stderr);
    for (const k of REQUIRED) expect(counts.has(k) ? k : `missing ${k}`).toBe(k);
    const zero = [...counts].filter(([, c]) => c === 0).map(([k]) => k);
    expect(zero).toEqual([]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(4000);
  }, 60_000);

  test("writer refuses a replay into a non-empty directory and a run over an existing thread dir", async () => {
    using x = tempDir("hb-wr-run");
    await writer("run", x.path, "1", "--ops", "10");
    const writerPath = await buildWriter();
    expect((await run([writerPath, "replay", x.path, "1", "--upto", "10"], noShim)).code).toBe(2);
    expect((await run([writerPath, "run", x.path, "1", "--ops", "10"], noShim)).code).toBe(2);
  }, 60_000);
});

describe("compareTrees", () => {
  test("reports names, types, sizes, bytes, modes, symlink targets and hard-link structure", async () => {
    using a = tempDir("hb-tree-a");
    using b = tempDir("hb-tree-b");
    for (const root of [a.path, b.path]) {
      mkdirSync(join(root, "d"), { mode: 0o755 });
      writeFileSync(join(root, "d/f"), "hello");
      writeFileSync(join(root, "g"), "same");
      writeFileSync(join(root, "m"), "x", { mode: 0o644 });
      linkSync(join(root, "g"), join(root, "d/g2"));
      symlinkSync("target", join(root, "s"));
      writeFileSync(join(root, "h"), "h");
      writeFileSync(join(root, "h2"), "h");
    }
    expect(await compareTrees(a.path, b.path)).toEqual([]);
    writeFileSync(join(b.path, "d/f"), "hellO");
    chmodSync(join(b.path, "m"), 0o600);
    chmodSync(join(b.path, "d"), 0o700);
    for (const p of ["s", "h2"]) rmSync(join(b.path, p));
    symlinkSync("other", join(b.path, "s"));
    linkSync(join(b.path, "h"), join(b.path, "h2"));
    writeFileSync(join(a.path, ".hb"), "");
    mkdirSync(join(b.path, "only-b"));
    expect(await compareTrees(a.path, b.path, { ignoreTop: (n) => n === ".hb" })).toEqual([
      "mode differs: d: a=0755 b=0700",
      "content differs: d/f: first at byte 4 of 5",
      "hard links differ: h: a={h} b={h, h2}",
      "hard links differ: h2: a={h2} b={h, h2}",
      "mode differs: m: a=0644 b=0600",
      "only in b: only-b (dir)",
      "symlink target differs: s: a=target b=other",
    ]);
    expect(await compareTrees(a.path, b.path)).toContain("only in a: .hb (file, 0 bytes)");
    expect(await treeSummary(a.path)).toEqual({ files: 7, dirs: 1, symlinks: 1, other: 0, bytes: 16 });
  }, 60_000);
});
