// Case 5: what the shim costs a server when no backup runs: the same datadir started with and without the
// shim preloaded, alternating, each under the same sysbench run.
import { sysbenchRun } from "../lib/harness";
import { startBenchServer } from "../lib/server";
import { summarize } from "../lib/stats";

export async function shimIdleCase(datadir: string, size: { tables: number; rows: number }, rounds: number, seconds = 20) {
  const tps: Record<"shim" | "none", number[]> = { shim: [], none: [] };
  for (let r = 0; r < rounds; r++)
    for (const mode of ["none", "shim"] as const) {
      await using server = await startBenchServer({ datadir, shim: mode === "shim" });
      await Bun.sleep(2000);
      const res = await sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds, ...size }).result();
      tps[mode].push(res.tps);
    }
  const s = { shim: summarize(tps.shim), none: summarize(tps.none) };
  const ratios = summarize(tps.shim.map((t, i) => t / tps.none[i]!));
  return { tps: s, ratio: ratios };
}
