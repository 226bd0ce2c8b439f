// The commit probe: one connection that commits a tiny InnoDB transaction over and over and records when
// each commit returned. "Does the server keep committing?" is then a question about gaps between those
// instants. A stalled commit (BLOCK_COMMIT held) shows as a gap; a failed one (server gone) as an error,
// after which the probe reconnects until stopped. Times are performance.now() of this process.
import type { Connection } from "mysql2/promise";
import type { Server } from "./mariadb";

export interface ProbeCommit {
  start: number; // the INSERT was sent
  end: number; // the commit returned
}

export interface CommitProbe {
  readonly commits: readonly ProbeCommit[];
  readonly errors: readonly { at: number; message: string }[];
  /** When the first commit that returned after `t` returned (undefined: none yet). */
  firstCommitAfter(t: number): number | undefined;
  /** Waits up to `timeoutMs` for a commit returning after `t`; the delay from `t`, or undefined. */
  nextCommitWithin(t: number, timeoutMs: number): Promise<number | undefined>;
  /** The largest time without a returned commit inside [t0, t1] (edges count as gap ends). */
  largestGap(t0: number, t1: number): number;
  /** Rows committed so far, as the server counts them (id is AUTO_INCREMENT). */
  stop(): Promise<number>;
}

const PACE_MS = 5; // a commit every few ms: resolution enough for a 1 s bound, little load on 2 cores

export async function startCommitProbe(server: Server): Promise<CommitProbe> {
  await server.query("CREATE DATABASE IF NOT EXISTS hb_probe");
  await server.query("CREATE TABLE IF NOT EXISTS hb_probe.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DOUBLE NOT NULL) ENGINE=InnoDB");
  const commits: ProbeCommit[] = [];
  const errors: { at: number; message: string }[] = [];
  let running = true;
  let conn: Connection | undefined = await server.connect();
  const loop = (async () => {
    while (running) {
      try {
        conn ??= await server.connect();
        const start = performance.now();
        await conn.query("INSERT INTO hb_probe.t (at) VALUES (?)", [start]); // autocommit: one commit
        commits.push({ start, end: performance.now() });
        await Bun.sleep(PACE_MS);
      } catch (e) {
        errors.push({ at: performance.now(), message: (e as Error).message });
        conn?.destroy();
        conn = undefined;
        await Bun.sleep(100);
      }
    }
  })();
  const firstCommitAfter = (t: number) => commits.find((c) => c.end > t)?.end;
  return {
    commits,
    errors,
    firstCommitAfter,
    async nextCommitWithin(t, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const at = firstCommitAfter(t);
        if (at !== undefined) return at - t;
        if (performance.now() > deadline) return undefined;
        await Bun.sleep(5);
      }
    },
    largestGap(t0, t1) {
      const ends = [t0, ...commits.map((c) => c.end).filter((e) => e > t0 && e < t1), t1];
      let gap = 0;
      for (let i = 1; i < ends.length; i++) gap = Math.max(gap, ends[i]! - ends[i - 1]!);
      return gap;
    },
    async stop() {
      running = false;
      await loop;
      conn?.destroy();
      const [row] = await server.query<{ n: number }[]>("SELECT COUNT(*) AS n FROM hb_probe.t");
      return Number(row!.n);
    },
  };
}
