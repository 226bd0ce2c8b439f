// A server backup taken under sysbench load, prepared with crash recovery, and hb prepare SIGKILLed at points
// of every phase (in the replay, in the hash list, while the recovery server runs, after the final metadata),
// then run again: it exits 0, no mariadbd is left on DEST, hb verify passes, and the backup rolled forward with
// the source's binlog equals the source table for table. Without setpriv's parent-death signal a killed
// prepare's server outlives it: verify and restore refuse DEST, and the next prepare stops it first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { readState, workDir } from "../../src/dest";
import { processesUsing } from "../../src/dest/in-use";
import { HB, run, spawnBg, tempDir, waitFor } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { rollForwardAndCompare } from "../helpers/replica-oracle";

let source: Server;
const tmp = tempDir("hb-prepare-restart-server");
const unprepared = join(tmp.path, "unprepared");
let writes = 0;

/** Every process running with --datadir=DEST: the recovery server, or one that outlived its prepare. */
function serversOn(dest: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").includes(`--datadir=${dest}`)) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

const gone = (pids: number[]) => waitFor(() => pids.every((p) => !existsSync(`/proc/${p}`) || readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z ")), { what: "the server to die", timeoutMs: 10_000 });

async function fresh(name: string): Promise<string> {
  const dest = join(tmp.path, name);
  expect((await run(["cp", "-a", unprepared, dest], { timeoutMs: 120_000 })).code).toBe(0);
  return dest;
}

const prepare = (dest: string, env: Record<string, string> = {}) => run([HB, "prepare", "--recover", dest], { env, timeoutMs: 300_000 });

/** The documented recovery: run prepare again. Then the backup is whole, verified, and equal to the source. */
async function rerunAndCompare(dest: string): Promise<void> {
  const again = await prepare(dest);
  if (again.code !== 0) console.error(again.stderr);
  expect(again.code).toBe(0);
  expect(serversOn(dest)).toEqual([]);
  expect(readFileSync(join(dest, "xtrabackup_checkpoints"), "utf8")).toContain("backup_type = full-prepared");
  const verify = await run([HB, "verify", dest], { timeoutMs: 120_000 });
  expect(verify.stderr).toContain("entries verified");
  expect(verify.code).toBe(0);
  const { want, got, cleanStart } = await rollForwardAndCompare(source, dest);
  expect(cleanStart).toBe(true); // the re-run finished the crash recovery
  expect(got).toEqual(want);
}

beforeAll(async () => {
  source = await startMariaDB({ binlog: true });
  await sysbenchPrepare(source, { tables: 2, rows: 20_000 });
  const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
  await Bun.sleep(1000);
  const backup = await run([HB, "backup", "--socket", source.socket, "--user", "root", "--throttle", "20M", unprepared], { timeoutMs: 300_000 });
  expect(backup.code).toBe(0);
  await Bun.sleep(500);
  expect((await load.stop()).transactions).toBeGreaterThan(500);
  // How many WRITEs the replay applies: the kill below lands in the middle of them.
  const probe = await fresh("probe");
  const r = await run([HB, "prepare", "--no-recover", probe], { timeoutMs: 300_000 });
  expect(r.code).toBe(0);
  writes = Number(/\((\d+) writes of/.exec(r.stderr)?.[1]);
  expect(writes).toBeGreaterThan(50);
}, 600_000);

afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

describe("hb prepare of a server backup SIGKILLed, then run again", () => {
  const points = () => [`write:${writes >> 1}`, "hash:3", "done:5", "phase:4"];
  for (const [k, what] of ["half-way through the replay's writes", "in the hash list", "after the final metadata write", "before the recovery"].entries())
    test(what, async () => {
      const point = points()[k]!;
      const dest = await fresh(`killed-${point.replace(":", "-")}`);
      const killed = await prepare(dest, { HB_PREPARE_KILL: point });
      expect(killed.signal).toBe("SIGKILL");
      expect(readState(dest)).toBe("preparing");
      await rerunAndCompare(dest);
    }, 300_000);

  for (const [point, when] of [["recover:1", "while the recovery server recovers"], ["recovered:1", "while the recovery server is up"]] as const)
    test(`${when}: the server dies with it`, async () => {
      const dest = await fresh(`killed-${point.replace(":", "-")}`);
      const killed = await prepare(dest, { HB_PREPARE_KILL: point });
      expect(killed.signal).toBe("SIGKILL");
      await gone(serversOn(dest)); // the parent-death signal
      expect(processesUsing(dest)).toEqual([]);
      const record = JSON.parse(readFileSync(join(workDir(dest), "recovery-server"), "utf8"));
      expect(existsSync(record.run)).toBe(true); // its private directory outlived it…
      await rerunAndCompare(dest);
      expect(existsSync(record.run)).toBe(false); // …until the next prepare
    }, 300_000);
});

describe("a recovery server that outlives its prepare (no setpriv)", () => {
  test("verify refuses DEST while it runs, and prepare run again stops it first", async () => {
    const dest = await fresh("leftover");
    // Killed once the server is up (right after the spawn, it dies of SIGPIPE on its first line to hb's stderr).
    const killed = await prepare(dest, { HB_PREPARE_KILL: "recovered:1", HB_TEST_NO_SETPRIV: "1" });
    expect(killed.signal).toBe("SIGKILL");
    const left = serversOn(dest);
    expect(left.length).toBe(1);
    expect(readlinkSync(`/proc/${left[0]}/cwd`)).toBe(dest); // still working in DEST
    const verify = await run([HB, "verify", dest]);
    expect(verify.code).toBe(7);
    expect(verify.stderr).toContain(`pid ${left[0]}`);
    const again = await prepare(dest);
    expect(again.stderr).toContain(`stopping the recovery server (pid ${left[0]})`);
    expect(again.code).toBe(0);
    await gone(left); // dead (a zombie until whoever inherited it reaps it)
    await rerunAndCompare(dest); // already prepared: says so, and the backup is equal to the source
  }, 300_000);
});

describe("hb prepare stopped by SIGTERM while the recovery server runs", () => {
  test("kills the server, removes its directory, exits 130; the re-run finishes", async () => {
    const dest = await fresh("sigterm");
    const hb = spawnBg([HB, "prepare", "--recover", dest], { stderr: "pipe" });
    const stderr = new Response(hb.stderr as ReadableStream).text();
    await waitFor(() => serversOn(dest).length === 1, { what: "the recovery server", timeoutMs: 120_000 });
    const [server] = serversOn(dest);
    const run_ = JSON.parse(readFileSync(join(workDir(dest), "recovery-server"), "utf8")).run;
    hb.kill("SIGTERM");
    expect(await hb.exited).toBe(130);
    expect(await stderr).toContain("interrupted by SIGTERM");
    expect(existsSync(`/proc/${server}`)).toBe(false);
    expect(existsSync(run_)).toBe(false);
    await rerunAndCompare(dest);
  }, 300_000);
});

describe("restore and verify refuse a prepared DEST another process works in", () => {
  test("a process with its working directory in DEST; not the shell hb runs from", async () => {
    const dest = await fresh("in-use");
    expect((await prepare(dest)).code).toBe(0);
    const squatter = spawnBg(["sleep", "600"], { cwd: dest });
    try {
      await waitFor(() => processesUsing(dest).length > 0, { what: "the sleep to start" });
      const restore = await run([HB, "restore", dest, "--datadir", join(tmp.path, "restored")]);
      expect(restore.code).toBe(7);
      expect(restore.stderr).toContain(`pid ${squatter.pid}`);
      expect(existsSync(join(tmp.path, "restored"))).toBe(false);
      const verify = await run([HB, "verify", dest]);
      expect(verify.code).toBe(7);
    } finally {
      squatter.kill("SIGKILL");
      await squatter.exited;
    }
    expect((await run([HB, "verify", dest])).code).toBe(0);
    // The shell that runs hb from inside DEST waits for it: not a process using DEST.
    const fromInside = await run(["sh", "-c", `cd '${dest}' && '${HB}' verify . && echo verified`]);
    expect(fromInside.stdout).toContain("verified");
  }, 300_000);
});
