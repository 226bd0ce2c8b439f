// What happens to the writing process when hb fails: its calls keep succeeding, the capture ends, and the
// next backup works. The writer here is churn.c, a process that writes as fast as it can.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../../src/capture/control";
import { compileC } from "../helpers/cc";
import { Scribbler } from "../helpers/scribbler";
import { HB, reaped, ROOT, run, SHIM, spawnBg, tempDir, waitFor } from "../helpers/harness";

function startChurn(dir: string) {
  const exe = compileC(join(ROOT, "test/shim/churn.c"));
  return spawnBg([exe, dir], { env: { LD_PRELOAD: SHIM }, stdout: "pipe" });
}

async function stopChurn(churn: ReturnType<typeof startChurn>) {
  churn.kill("SIGTERM");
  const [out, code] = await Promise.all([new Response(churn.stdout as ReadableStream).text(), churn.exited]);
  return { out, code };
}

const captureState = (pid: number) => {
  const cap = Capture.attach(pid);
  try {
    return cap.status();
  } finally {
    cap.detach();
  }
};

describe("faults", () => {
  /** DEST on a 6 MiB tmpfs for the duration of body. */
  async function onSmallFs<T>(tmp: string, body: (small: string) => Promise<T>): Promise<T> {
    const small = join(tmp, "small");
    mkdirSync(small);
    expect((await run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", small])).code).toBe(0);
    try {
      return await body(small);
    } finally {
      await run(["umount", "-l", small]);
    }
  }

  test("journal destination full: exit 9 (capture), the writer never notices", async () => {
    await using tmp = tempDir("fault-journal-full");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    await using churn = startChurn(src); // 64 KiB writes as fast as it can: the journal outgrows 6 MiB at once
    await waitFor(() => existsSync(join(src, "churn")), { what: "churn to start" });
    await onSmallFs(tmp.path, async (small) => {
      const backup = await run([HB, "backup", "--raw", "--source", src, "--pid", String(churn.pid), "--throttle", "1M", join(small, "b")], {
        timeoutMs: 60_000,
      });
      expect(backup.code).toBe(9);
      expect(backup.stderr).toMatch(/could not write the journal/);
    });
    const { out, code } = await stopChurn(churn);
    expect(code).toBe(0);
    expect(out).toMatch(/calls \d+/);
  }, 90_000);

  test("copy destination full: exit 8 (I/O), naming the file", async () => {
    await using tmp = tempDir("fault-copy-full");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(10 << 20, 1)); // more than the 6 MiB the destination has
    await using owner = await Scribbler.start(); // a process running with the shim, up and answering
    await onSmallFs(tmp.path, async (small) => {
      const backup = await run([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), join(small, "b")], { timeoutMs: 60_000 });
      expect(backup.code).toBe(8);
      expect(backup.stderr).toMatch(/copying .*big failed: no space left on device \(ENOSPC\)/i);
    });
  }, 90_000);

  test("hb killed mid-copy: capture ends by lease within seconds, and the next backup works", async () => {
    await using tmp = tempDir("fault-kill");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(32 << 20, 2));
    await using churn = startChurn(src);
    await waitFor(() => existsSync(join(src, "churn")), { what: "churn to start" });
    const dest = join(tmp.path, "b1");
    const hb = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(churn.pid), "--throttle", "4M", dest]);
    await using _hb = reaped(hb);
    await waitFor(() => captureState(churn.pid).state === "active", { what: "the capture to begin" });
    await waitFor(() => existsSync(join(dest, ".hb", "journal")) && statSync(join(dest, ".hb", "journal")).size > 0, {
      what: "journal bytes",
    });
    hb.kill("SIGKILL");
    await hb.exited;
    const killedAt = Date.now();
    // With its drain gone the ring fills: the shim ends the capture after max_wait (0.5 s) or the lease (5 s).
    await waitFor(() => captureState(churn.pid).state !== "active", { what: "the capture to end by itself", timeoutMs: 15_000 });
    const endedAfter = Date.now() - killedAt;
    expect(endedAfter).toBeLessThan(8_000);
    expect(["failed", "expired"]).toContain(captureState(churn.pid).state);
    const journal = statSync(join(dest, ".hb", "journal")).size;
    await Bun.sleep(500);
    expect(statSync(join(dest, ".hb", "journal")).size).toBe(journal);
    const again = await run([HB, "backup", "--raw", "--source", src, "--pid", String(churn.pid), join(tmp.path, "b2")], {
      timeoutMs: 60_000,
    });
    expect(again.stderr).toContain("backup complete");
    expect(again.code).toBe(0);
    const prep = await run([HB, "prepare", dest]);
    expect(prep.code).toBe(10); // the killed one is recognisably incomplete
    expect(prep.stderr).toMatch(/incomplete/);
    const { code } = await stopChurn(churn);
    expect(code).toBe(0);
  }, 90_000);

  test("hb killed while the writer is slow: the capture expires by lease (I4)", async () => {
    await using tmp = tempDir("fault-lease");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(16 << 20, 4));
    await using s = await Scribbler.start();
    const hb = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(s.pid), "--throttle", "2M", join(tmp.path, "b")]);
    await using _hb = reaped(hb);
    await waitFor(() => captureState(s.pid).state === "active", { what: "the capture to begin" });
    hb.kill("SIGKILL");
    await hb.exited;
    const killedAt = Date.now();
    // A write now and then: each one checks the heartbeat; the ring never fills.
    await waitFor(async () => (await s.ok(`write ${src}/slow 0 x`), captureState(s.pid).state === "expired"), {
      what: "the lease to expire",
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(Date.now() - killedAt).toBeLessThan(7_000); // lease is 5 s
    expect(captureState(s.pid).errorText).toMatch(/heartbeat/);
  }, 60_000);

  test("hb stopped (SIGSTOP) mid-copy: the writer waits at most the ring's bounded wait, then the capture fails", async () => {
    await using tmp = tempDir("fault-stall");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(16 << 20, 3));
    await using churn = startChurn(src);
    await waitFor(() => existsSync(join(src, "churn")), { what: "churn to start" });
    const hb = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(churn.pid), "--throttle", "2M", "--ring", "4M", join(tmp.path, "b")]);
    await using _hb = reaped(hb);
    await waitFor(() => captureState(churn.pid).state === "active", { what: "the capture to begin" });
    hb.kill("SIGSTOP");
    await waitFor(() => captureState(churn.pid).state !== "active", { what: "the capture to fail", timeoutMs: 15_000 });
    const state = captureState(churn.pid);
    hb.kill("SIGKILL");
    const { out, code } = await stopChurn(churn);
    expect(code).toBe(0);
    expect(["failed", "expired"]).toContain(state.state);
    const worst = Number(/worst_us (\d+)/.exec(out)![1]);
    expect(worst).toBeLessThan(3_000_000); // the ring fills within ms; a writer then waits at most max_wait (0.5 s)
  }, 60_000);
});
