// Diagnostic: the server's own counters once a second, summed up per window, to see what a backup's window
// changes in the server's work (statements, checkpoint age, page flushing, fsyncs, redo) against the windows
// without one. Read with the mariadb client, so that a server given by its socket alone works too.
import { run } from "./harness";

const COUNTERS = [
  "Questions",
  "Innodb_checkpoint_age",
  "Innodb_buffer_pool_pages_dirty",
  "Innodb_buffer_pool_pages_free",
  "Innodb_buffer_pool_pages_flushed",
  "Innodb_buffer_pool_pages_LRU_flushed",
  "Innodb_buffer_pool_wait_free",
  "Innodb_data_fsyncs",
  "Innodb_data_written",
  "Innodb_os_log_written",
] as const;
type Counter = (typeof COUNTERS)[number];
type Sample = { at: number; values: Record<Counter, number> };

export interface StatusWindow {
  statementsPerSec: number;
  /** One line: the gauges' means and the counters' rates over the window. */
  line: string;
}

export function sampleStatus(socket: string, everyMs = 1000) {
  const samples: Sample[] = [];
  const sql = `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map((c) => `'${c}'`).join(", ")})`;
  let on = true;
  const loop = (async () => {
    while (on) {
      const r = await run(["mariadb", `--socket=${socket}`, "--user=root", "-N", "-e", sql]);
      const byName = new Map(r.stdout.trim().split("\n").map((l) => l.split("\t") as [string, string]).map(([k, v]) => [k.toLowerCase(), Number(v)]));
      samples.push({ at: Date.now(), values: Object.fromEntries(COUNTERS.map((c) => [c, byName.get(c.toLowerCase()) ?? Number.NaN])) as Sample["values"] });
      await Bun.sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<void> {
      on = false;
      await loop;
    },
    /** The samples inside [from, to] (Date.now() clock); null when fewer than two fall inside. */
    over(from: number, to: number): StatusWindow | null {
      const xs = samples.filter((s) => s.at >= from && s.at <= to);
      if (xs.length < 2) return null;
      const [a, z] = [xs[0]!, xs[xs.length - 1]!];
      const rate = (c: Counter) => (z.values[c] - a.values[c]) / ((z.at - a.at) / 1000);
      const mean = (c: Counter) => xs.reduce((sum, s) => sum + s.values[c], 0) / xs.length;
      const line =
        `checkpoint age ${(mean("Innodb_checkpoint_age") / 2 ** 20).toFixed(0)} MiB, dirty ${mean("Innodb_buffer_pool_pages_dirty").toFixed(0)}, ` +
        `free ${mean("Innodb_buffer_pool_pages_free").toFixed(0)} pages | a second: ${rate("Questions").toFixed(0)} statements, ` +
        `${rate("Innodb_buffer_pool_pages_flushed").toFixed(0)} pages flushed (${rate("Innodb_buffer_pool_pages_LRU_flushed").toFixed(0)} from the LRU), ` +
        `${rate("Innodb_buffer_pool_wait_free").toFixed(1)} free-page waits, ${rate("Innodb_data_fsyncs").toFixed(0)} fsyncs, ` +
        `${(rate("Innodb_data_written") / 1e6).toFixed(1)} MB data, ${(rate("Innodb_os_log_written") / 1e6).toFixed(2)} MB redo`;
      return { statementsPerSec: rate("Questions"), line };
    },
  };
}
