// Diagnostic: where the CPU goes while a backup runs under load. One sysbench oltp_write_only load (4 threads)
// across HB_BACKUPS (3) backups with hb's defaults (or HB_FLAGS); during each, hb's threads are sampled from
// /proc every 100 ms (CPU seconds by thread name), and the server's CPU and the machine's shares (busy,
// steal, iowait, idle) are taken over the same span and over a 20 s window without a backup before it.
// Is a paced backup's cost the CPU it takes from the server?
// HB_SOCKET and HB_SERVER_PID: a server already filled (bench/keep-server.ts prints both).
// Usage: bun run bench/thread-cpu.ts
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HB, sysbenchRun, tempDir, tpsBetween } from "./lib/harness";
import { givenOrFilledServer } from "./lib/server";

const backups = Number(process.env.HB_BACKUPS ?? 3);
const flags = (process.env.HB_FLAGS ?? "").split(" ").filter(Boolean);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const TICK = 100; // USER_HZ on Linux

const read = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined; // the thread or process has gone
  }
};
/** utime + stime in seconds, from a /proc stat line (fields after the command's closing parenthesis). */
const cpuOf = (stat: string | undefined) => {
  const f = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return f ? (Number(f[11]) + Number(f[12])) / TICK : undefined;
};
/** The machine's CPU time so far, in ticks: busy, steal (the hypervisor's), iowait, idle. */
const machine = () => {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = read("/proc/stat")!.split("\n")[0]!.split(/\s+/).slice(1).map(Number);
  return [user! + nice! + system! + irq! + softirq!, steal!, iowait!, idle!];
};

await using work = tempDir("thread-cpu");
await using server = await givenOrFilledServer(size);
const serverPid = server.pid ?? Number(process.env.HB_SERVER_PID);
if (!(serverPid > 0)) throw new Error("HB_SOCKET needs HB_SERVER_PID, the server's pid");
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows });

/** From a start taken with start(): the span's seconds, the server's CPU in cores and the machine's shares. */
const start = () => ({ t: Date.now(), server: cpuOf(read(`/proc/${serverPid}/stat`))!, machine: machine() });
const since = (s: ReturnType<typeof start>) => {
  const wall = (Date.now() - s.t) / 1000;
  const m = machine().map((x, k) => x - s.machine[k]!);
  const pct = (k: number) => `${((100 * m[k]!) / m.reduce((a, b) => a + b, 0)).toFixed(0)}%`;
  const cores = (cpuOf(read(`/proc/${serverPid}/stat`))! - s.server) / wall;
  const tps = tpsBetween(load.samples, s.t, Date.now());
  return { wall, text: `${tps.toFixed(0)} TPS, mariadbd ${cores.toFixed(3)} core (${((1000 * cores) / tps).toFixed(3)} ms a transaction); machine busy ${pct(0)}, steal ${pct(1)}, iowait ${pct(2)}, idle ${pct(3)}` };
};

await Bun.sleep(10_000);
for (let i = 0; i < backups; i++) {
  const before = start();
  await Bun.sleep(20_000);
  console.log(`no backup: ${since(before).text}`);
  const dest = join(work.path, `b${i}`);
  const during = start();
  const hb = Bun.spawn([HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", ...flags, dest], { stdout: "ignore", stderr: "ignore" });
  const threads = new Map<string, { name: string; cpu: number }>();
  while (hb.exitCode === null) {
    for (const tid of read(`/proc/${hb.pid}/stat`) ? readdirSync(`/proc/${hb.pid}/task`) : []) {
      const stat = read(`/proc/${hb.pid}/task/${tid}/stat`);
      const cpu = cpuOf(stat);
      if (stat && cpu !== undefined) threads.set(tid, { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), cpu });
    }
    await Promise.race([hb.exited, Bun.sleep(100)]);
  }
  const { wall, text } = since(during);
  const byName = new Map<string, number>();
  for (const { name, cpu } of threads.values()) byName.set(name, (byName.get(name) ?? 0) + cpu);
  const hbCpu = [...byName.values()].reduce((a, b) => a + b, 0);
  const core = (s: number) => `${s.toFixed(2)} s (${(s / wall).toFixed(3)} core)`;
  console.log(`backup ${i} (exit ${hb.exitCode}): ${wall.toFixed(1)} s; hb ${core(hbCpu)}, ${text}`);
  for (const [name, cpu] of [...byName].sort((a, b) => b[1] - a[1]).filter(([, cpu]) => cpu >= 0.01)) console.log(`  ${name.padEnd(16)} ${core(cpu)}`);
  rmSync(dest, { recursive: true, force: true });
  await Bun.sleep(5_000);
}
await load.stop();
