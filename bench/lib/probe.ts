// A commit probe: one more session committing a one-row transaction back to back, each timed, so that
// the latency of a commit can be read for any window (sysbench reports only per second and per run).
import type { Server } from "./harness";
import { percentile } from "./stats";

export interface CommitProbe {
  /** [start ms (performance.now()), latency ms] of every commit so far. */
  commits: [number, number][];
  stop(): Promise<void>;
}

export async function startProbe(server: Server): Promise<CommitProbe> {
  const conn = await server.connect();
  await conn.query("CREATE TABLE IF NOT EXISTS test.hb_bench_probe (id INT AUTO_INCREMENT PRIMARY KEY, at BIGINT) ENGINE=InnoDB");
  const commits: [number, number][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await conn.query("INSERT INTO test.hb_bench_probe (at) VALUES (?)", [Date.now()]);
      commits.push([started, performance.now() - started]);
    }
  })();
  return {
    commits,
    async stop() {
      running = false;
      await loop;
      await conn.end();
    },
  };
}

/** p99 and max commit latency of the commits that started in [from, to] (performance.now() clock). */
export function latencyIn(probe: CommitProbe, from: number, to: number) {
  const lat = probe.commits.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms);
  return { commits: lat.length, p99Ms: percentile(lat, 99), maxMs: lat.length ? Math.max(...lat) : Number.NaN };
}
