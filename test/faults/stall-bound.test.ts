// The server's worst commit when hb stops draining (SIGSTOP: the `hb_stopped` fault) under a bulk INSERT with
// the smallest ring (4M): the ring fills, each server write waits at most RING_WAIT_MS for room, then the
// capture fails and the server goes on. Measured against the same server without a backup, and with hb
// running (the drain's own gaps, from its heartbeat sampled every few ms: what the bound must stay above).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { RING_WAIT_MS } from "../../src/backup/session";
import { Capture } from "../../src/capture/control";
import { captureStatus, hbPausedAt } from "../helpers/faults";
import { HB, run, tempDir, waitFor } from "../helpers/harness";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { startCommitProbe, type CommitProbe } from "../helpers/probe";

let server: Server;
let probe: CommitProbe;
const tmp = tempDir("stall-bound");
let bulkRunning = true;
let bulk: Promise<void>;

/** The probe's slowest commit that started in [t0, t1]. */
const worstCommit = (t0: number, t1: number) =>
  Math.max(0, ...probe.commits.filter((c) => c.start >= t0 && c.start <= t1).map((c) => c.end - c.start));

beforeAll(async () => {
  server = await startMariaDB({ binlog: true });
  await server.query("CREATE DATABASE bulk");
  await server.query("CREATE TABLE bulk.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1000)) ENGINE=InnoDB");
  await server.query("CREATE TABLE bulk.big (id INT PRIMARY KEY, pad VARCHAR(1000)) ENGINE=InnoDB");
  await server.query("INSERT INTO bulk.big SELECT seq, REPEAT('b', 1000) FROM mysql.seq_1_to_60000"); // ~70 MB to copy
  const conn = await server.connect();
  bulk = (async () => {
    while (bulkRunning) {
      await conn.query("INSERT INTO bulk.t (pad) SELECT REPEAT('x', 1000) FROM mysql.seq_1_to_2000"); // ~2 MB a statement
      await conn.query("DELETE FROM bulk.t ORDER BY id LIMIT 2000");
    }
    conn.destroy();
  })();
  probe = await startCommitProbe(server);
}, 300_000);

afterAll(async () => {
  bulkRunning = false;
  await Promise.allSettled([bulk, probe?.stop()]);
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

describe("the stall bound: hb stopped with a full ring under a bulk INSERT", () => {
  test(`the server's worst commit is about RING_WAIT_MS (${RING_WAIT_MS} ms), and the drain's own gaps stay far below it`, async () => {
    const t0 = performance.now();
    await Bun.sleep(4000);
    const without = worstCommit(t0, performance.now());

    // hb running until it stops itself at BACKUP STAGE FLUSH, everything copied: from then on every write of the
    // server (its redo log too) is journaled, and nothing drains the ring. Meanwhile the drain's heartbeat,
    // sampled every 2 ms, says how long a running drain goes between looks at the ring.
    let sampling = true;
    let drainGap = 0;
    let t1 = 0;
    const sampler = (async () => {
      await waitFor(() => sampling === false || captureStatus(server.pid).state === "active", { what: "the capture to begin", timeoutMs: 120_000, intervalMs: 5 });
      const cap = Capture.attach(server.pid);
      t1 = performance.now();
      try {
        while (sampling) {
          const s = cap.status();
          if (s.state === "active") drainGap = Math.max(drainGap, s.heartbeatAgeMs);
          await Bun.sleep(2);
        }
      } finally {
        cap.detach();
      }
    })();
    await using hb = await hbPausedAt(server, join(tmp.path, "b"), "stage-flush", ["--ring", "4M", "--throttle", "20M"]);
    const stoppedAt = performance.now();
    sampling = false;
    await sampler;
    const during = worstCommit(t1, stoppedAt);
    const ended = await waitFor(() => (captureStatus(server.pid).state !== "active" ? captureStatus(server.pid) : undefined), {
      what: "the capture to fail",
      timeoutMs: 30_000,
      intervalMs: 5,
    });
    const failedAfter = performance.now() - stoppedAt;
    await Bun.sleep(1000);
    const stopped = worstCommit(stoppedAt - 50, performance.now());

    console.error(
      `stall bound ${RING_WAIT_MS} ms, ring 4 MiB, bulk INSERT: worst commit without a backup ${without.toFixed(0)} ms, ` +
        `with hb draining ${during.toFixed(0)} ms (its heartbeat at most ${drainGap} ms old), ` +
        `hb stopped ${stopped.toFixed(0)} ms (capture ${ended.state} after ${failedAfter.toFixed(0)} ms: ${ended.errorText})`,
    );
    expect(ended.state).toBe("failed");
    expect(ended.errorText).toContain("ring stayed full");
    expect(stopped).toBeGreaterThan(RING_WAIT_MS * 0.5); // the fault happened: the server did wait on the ring
    expect(stopped).toBeLessThan(1500); // generous, and below the 2 s the bound was (2007 ms measured then)
    expect(drainGap).toBeLessThan(RING_WAIT_MS); // a running hb never came near it
  }, 300_000);

  test("no false failure: whole backups with the smallest ring under the same load complete, and prepare", async () => {
    for (let round = 0; round < 2; round++) {
      const dest = join(tmp.path, `whole-${round}`);
      const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--ring", "4M", "--json", dest], { timeoutMs: 300_000 });
      if (r.code !== 0) console.error(r.stderr);
      expect(r.code).toBe(0);
      const { journalBytes, ringWaits } = JSON.parse(r.stdout);
      console.error(`whole backup ${round}, ring 4 MiB, bound ${RING_WAIT_MS} ms: journal ${journalBytes} bytes, ${ringWaits} server writes waited for room`);
      expect(journalBytes).toBeGreaterThan(8 << 20); // the ring went round: the load was journaled, not only copied
      expect((await run([HB, "prepare", dest], { timeoutMs: 300_000 })).code).toBe(0);
    }
  }, 600_000);
});
