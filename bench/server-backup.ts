// Issue 3's measurements: a MariaDB under sysbench oltp_write_only (4 threads) backed up by hb and by
// mariabackup in the same run, alternating, each inside its own fixed-length sysbench run, next to a run with
// no backup: backup wall time, lock time, and the load's TPS, p99 and max latency over the run.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../test/helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../test/helpers/load";
import { startMariaDB } from "../test/helpers/mariadb";

const SECONDS = Number(process.env.HB_BENCH_SECONDS ?? 30);
const TABLES = Number(process.env.HB_BENCH_TABLES ?? 8);
const ROWS = Number(process.env.HB_BENCH_ROWS ?? 100_000);
type Tool = "none" | "hb" | "mariabackup";

export async function serverBackup(rounds = 2) {
  await using server = await startMariaDB({ binlog: true });
  await sysbenchPrepare(server, { tables: TABLES, rows: ROWS });
  await using tmp = tempDir("bench-server");
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < rounds; r++)
    for (const tool of ["none", "hb", "mariabackup"] as Tool[]) {
      const dest = join(tmp.path, `${tool}-${r}`);
      const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds: SECONDS });
      await Bun.sleep(5000);
      const t = performance.now();
      let lockMs: number | null = null;
      if (tool === "hb") {
        const b = await run([HB, "backup", "--quiet", "--json", "--socket", server.socket, "--user", "root", "--no-space-check", dest], { timeoutMs: 600_000 });
        if (b.code !== 0) throw new Error(b.stderr);
        lockMs = JSON.parse(b.stdout).lockTimeMs;
      } else if (tool === "mariabackup") {
        mkdirSync(dest);
        const b = await run(["mariabackup", "--backup", `--target-dir=${dest}`, `--socket=${server.socket}`, "--user=root"], { timeoutMs: 600_000 });
        if (b.code !== 0) throw new Error(b.stderr.slice(-2000));
        // its log has one-second timestamps: BLOCK_DDL start to "All tables unlocked"
        const at = (re: RegExp) => {
          const m = b.stderr.split("\n").find((l) => re.test(l))?.match(/(\d\d):(\d\d):(\d\d)/);
          return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
        };
        const a = at(/BACKUP STAGE BLOCK_DDL/);
        const z = at(/All tables unlocked/);
        lockMs = a !== null && z !== null ? (z - a) * 1000 : null;
      }
      const wallMs = tool === "none" ? 0 : Math.round(performance.now() - t);
      const res = await load.result();
      rows.push({ round: r, tool, wallMs, lockMs, tps: Math.round(res.tps), p99Ms: res.latencyP99Ms, maxMs: res.latencyMaxMs });
      rmSync(dest, { recursive: true, force: true });
    }
  return rows;
}

if (import.meta.main) {
  const rows = await serverBackup(Number(process.env.HB_BENCH_ROUNDS ?? 2));
  console.log(`\n### Backup under sysbench oltp_write_only, 4 threads, ${TABLES}×${ROWS} rows, ${SECONDS} s runs\n`);
  console.log("| round | tool | backup wall ms | lock ms | TPS | p99 ms | max ms |\n|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.round} | ${r.tool} | ${r.wallMs} | ${r.lockMs ?? "—"} | ${r.tps} | ${r.p99Ms} | ${r.maxMs} |`);
}
