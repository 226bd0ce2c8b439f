// The raw oracle (DESIGN.md "How we know it works"): a writer preloaded with the shim mutates a directory
// with a seeded random sequence while hb backs it up, throttled so thousands of ops overlap the copy. After
// prepare, each thread's subtree in the backup must equal a fresh replay of that thread's ops 1..k (or
// 1..k+1: the op in flight when the capture ended), k being the counter found in the backup. And hb verify
// must find every file as prepare's hash list says, which holds CRCs carried through the replay's writes.
import { expect } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareTrees } from "../helpers/tree";
import { HB, run, SHIM, spawnBg, tempDir, waitFor } from "../helpers/harness";
import { buildWriter, readCounter } from "./build-writer";

const HB_TOP = (name: string) => name === ".hb" || name.startsWith("xtrabackup_") || name.startsWith("hb_") || name === "backup-my.cnf";

// HB_ORACLE_KEEP=1: a failing run's whole tree (the backup before and after prepare, hb's debug log) is kept.
const KEEP = process.env.HB_ORACLE_KEEP === "1";

interface OracleOptions {
  seed: number;
  threads: number;
  throttle: string;
  warmupOps: number;
  /** Copy files of this size and more with O_DIRECT (hb's default: 1 MiB, bigger than the writer's files). */
  directMin?: number;
  /** Write the journal through the page cache (hb writes it past the cache where the filesystem allows). */
  journalBuffered?: boolean;
  delayUs: number;
  preload?: string; // LD_PRELOAD for the writer (default: the shim)
  writer?: string; // another build of the writer (sanitizers)
  wrap?: string[]; // runs the writer under this (valgrind)
  env?: Record<string, string>;
  /** Stream the backup (hb backup --stream with these options, piped into hb extract with `extract`). */
  stream?: { backup: string[]; extract: string[] };
}

const shellQuote = (args: string[]) => args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");

/** Runs one seed end to end; returns the differences (none = exact) and how many ops overlapped the backup. */
export async function rawOracle(o: OracleOptions) {
  const writer = o.writer ?? (await buildWriter());
  await using tmp = tempDir(`oracle-${o.seed}`);
  const src = join(tmp.path, "src");
  const dest = join(tmp.path, "backup");
  const ready = join(tmp.path, "ready");
  mkdirSync(src);
  const proc = spawnBg(
    [...(o.wrap ?? []), writer, "run", src, String(o.seed), "--threads", String(o.threads), "--delay-us", String(o.delayUs), "--ready", ready],
    { env: { LD_PRELOAD: o.preload ?? SHIM, ...o.env }, stderr: "pipe" },
  );
  const stderr = new Response(proc.stderr as ReadableStream).text();
  try {
    await waitFor(() => existsSync(ready), { what: "the writer to start", timeoutMs: 60_000 });
    const threads = [...Array(o.threads).keys()];
    await waitFor(() => threads.every((t) => readCounter(src, t) >= o.warmupOps), { what: "warm-up ops", timeoutMs: 60_000 });
    const before = threads.map((t) => readCounter(src, t));
    const backupCmd = [HB, "backup", "--raw", "--source", src, "--pid", String(proc.pid), "--throttle", o.throttle];
    const cmd = o.stream
      ? ["bash", "-c", `set -o pipefail; ${shellQuote([...backupCmd, "--stream", ...o.stream.backup])} | ${shellQuote([HB, "extract", ...o.stream.extract, dest])}`]
      : [...backupCmd, dest];
    const backup = await run(cmd, {
      timeoutMs: 120_000,
      env: {
        ...(KEEP ? { HB_DEBUG: "1" } : {}),
        ...(o.directMin !== undefined ? { HB_TEST_DIRECT_MIN: String(o.directMin) } : {}),
        ...(o.journalBuffered ? { HB_TEST_JOURNAL_BUFFERED: "1" } : {}),
      },
    });
    if (KEEP) {
      writeFileSync(join(tmp.path, "backup.log"), backup.stderr);
      cpSync(dest, join(tmp.path, "backup-unprepared"), { recursive: true });
    }
    expect(backup.stderr).toContain("backup complete");
    expect(backup.code).toBe(0);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0); // every one of the writer's calls succeeded
    const prepare = await run([HB, "prepare", dest], { timeoutMs: 120_000 });
    expect(prepare.code).toBe(0);
    const verify = await run([HB, "verify", dest], { timeoutMs: 120_000 });
    expect(verify.stderr).toContain("entries verified");
    expect(verify.code).toBe(0);

    const ks = threads.map((t) => readCounter(dest, t));
    const overlap = ks.reduce((sum, k, t) => sum + (k - before[t]!), 0);
    expect(readdirSync(dest).filter((n) => !HB_TOP(n)).sort()).toEqual(threads.map((t) => `t${t}`));
    const diffs: string[] = [];
    const replays = await Promise.all(
      ["", "+"].map(async (plus, i) => {
        const dir = join(tmp.path, `replay${i}`);
        const r = await run([await buildWriter(), "replay", dir, String(o.seed), "--upto", ks.map((k) => `${k}${plus}`).join(",")], { env: { LD_PRELOAD: undefined } });
        expect(r.code).toBe(0);
        return dir;
      }),
    );
    for (const t of threads) {
      const exact = await compareTrees(join(dest, `t${t}`), join(replays[0]!, `t${t}`));
      if (!exact.length) continue;
      const inFlight = await compareTrees(join(dest, `t${t}`), join(replays[1]!, `t${t}`));
      if (inFlight.length) diffs.push(`t${t} (k=${ks[t]}): ${exact.slice(0, 5).join("; ")} | k+1: ${inFlight.slice(0, 5).join("; ")}`);
    }
    if (KEEP && diffs.length) {
      const kept = `${tmp.path}-failed`;
      cpSync(tmp.path, kept, { recursive: true });
      console.error(`seed ${o.seed}: failed run kept in ${kept}`);
    }
    if (process.env.HB_ORACLE_VERBOSE) console.error(`seed ${o.seed}: k=${ks} overlap=${overlap} ${backup.stderr.trim().split("\n").at(-1)}`);
    const leftOut = Number(/\((\d+) bytes of writes left out/.exec(backup.stderr)?.[1] ?? NaN);
    return { diffs, overlap, ks, leftOut, writerStderr: await stderr };
  } finally {
    proc.kill("SIGKILL");
    await stderr;
  }
}
