// Soak: N consecutive backups (default 20, HB_SOAK_COUNT) of one MariaDB under sysbench oltp_write_only plus
// Aria writes, each prepared and checked with the replica oracle. After each backup the server's RSS and open
// descriptors are recorded (a leak in the shim, or a ring not given back, shows as a trend), with hb's own
// peak RSS. Prints a Markdown table; exits 1 when an oracle check fails or RSS/fds trend upward.
//   node_modules/.bin/bun run bench/soak.ts
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HB, rollForwardAndCompare, SHIM, startMariaDB, sysbenchPrepare, sysbenchRun, tempDir, writeLoop } from "./lib/harness";

const COUNT = Number(process.env.HB_SOAK_COUNT ?? 20);
const TABLES = Number(process.env.HB_SOAK_TABLES ?? 4);
const ROWS = Number(process.env.HB_SOAK_ROWS ?? 20_000);
const THROTTLE = process.env.HB_SOAK_THROTTLE ?? "8M"; // ~25 s per backup of the ~170 MB datadir
const CONTROL = Number(process.env.HB_SOAK_CONTROL ?? 5); // rounds of the same load without hb, after the backups

interface Row {
  n: number;
  backupMs: number;
  lockMs: number;
  journalMiB: number;
  trx: number;
  oracle: "ok" | "FAIL";
  rssMiB: number;
  anonMiB: number;
  shmemMiB: number;
  fds: number;
  hbPeakMiB: number;
}

const mib = (kb: number) => Math.round(kb / 102.4) / 10;

function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rssMiB: mib(kb("VmRSS")), anonMiB: mib(kb("RssAnon")), shmemMiB: mib(kb("RssShmem")), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** hb run to its end, with its peak RSS (the runner's own rusage of the child). */
async function hb(args: string[]) {
  const proc = Bun.spawn({ cmd: [bin.hb, ...args], stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`hb ${args.join(" ")} failed (${code}):\n${stderr}`);
  return { stdout, peakMiB: Math.round((proc.resourceUsage()?.maxRSS ?? 0) / 2 ** 20) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A trend beyond noise: the last five against the first five, and growth at every single step. */
export function trend(values: number[], tolerance: number): string | undefined {
  if (values.length < 10) return undefined;
  const first = mean(values.slice(0, 5));
  const last = mean(values.slice(-5));
  if (last > first * (1 + tolerance) + 1) return `last-5 mean ${last.toFixed(1)} vs first-5 mean ${first.toFixed(1)} (> ${tolerance * 100}%)`;
  if (values.every((v, i) => i === 0 || v > values[i - 1]!)) return `grew at every one of ${values.length} backups`;
  return undefined;
}

const bin = { hb: HB, shim: SHIM };

async function soak(): Promise<number> {
  // A private copy of hb and the shim: a rebuild of dist/ during the soak must not change what runs.
  await using tmp = tempDir("soak");
  bin.hb = join(tmp.path, "hb");
  bin.shim = join(tmp.path, "libhbshim.so");
  copyFileSync(HB, bin.hb);
  copyFileSync(SHIM, bin.shim);
  chmodSync(bin.hb, 0o755);

  await using source = await startMariaDB({ binlog: true, shimPath: bin.shim });
  await sysbenchPrepare(source, { tables: TABLES, rows: ROWS });
  const warm = sysbenchRun(source, { test: "oltp_write_only", threads: 2, seconds: 10 }); // buffer pool warm before the first sample
  await warm.result();

  const rows: Row[] = [];
  let failures = 0;
  for (let n = 1; n <= COUNT; n++) {
    const dest = join(tmp.path, `b${n}`);
    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2, rate: 300 });
    const aria = await writeLoop(source, { engine: "Aria", table: "aria_t", ratePerSec: 50 });
    await Bun.sleep(1000);
    const t = performance.now();
    const backup = await hb(["backup", "--quiet", "--json", "--socket", source.socket, "--user", "root", "--throttle", THROTTLE, dest]);
    const backupMs = Math.round(performance.now() - t);
    const mem = memoryOf(source.pid); // right after the capture ended: the ring must be given back by now
    await Bun.sleep(300); // load after the backup: the binlog roll-forward must matter
    const [loadResult] = await Promise.all([load.stop(), aria.stop()]);
    await hb(["prepare", "--quiet", dest]);
    const result = JSON.parse(backup.stdout);
    let oracle: Row["oracle"] = "ok";
    try {
      const { want, got } = await rollForwardAndCompare(source, dest, 100 + n);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`checksums differ:\nwant ${JSON.stringify(want)}\ngot  ${JSON.stringify(got)}`);
    } catch (e) {
      oracle = "FAIL";
      failures++;
      console.error(`backup ${n}: replica oracle failed: ${(e as Error).message}`);
    }
    rmSync(dest, { recursive: true, force: true });
    const row = {
      n,
      backupMs,
      lockMs: result.lockTimeMs,
      journalMiB: Math.round(result.journalBytes / 2 ** 20),
      trx: loadResult.transactions,
      oracle,
      ...mem,
      hbPeakMiB: backup.peakMiB,
    };
    rows.push(row);
    console.error(`soak ${n}/${COUNT}: ${JSON.stringify(row)}`);
  }

  // The same load for the same time without hb: how much the server's RSS drifts on its own (caches).
  const control: ReturnType<typeof memoryOf>[] = [];
  const meanBackupMs = mean(rows.map((r) => r.backupMs));
  for (let n = 1; n <= CONTROL; n++) {
    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2, rate: 300 });
    const aria = await writeLoop(source, { engine: "Aria", table: "aria_t", ratePerSec: 50 });
    await Bun.sleep(1000 + meanBackupMs);
    control.push(memoryOf(source.pid));
    await Promise.all([load.stop(), aria.stop()]);
    console.error(`control ${n}/${CONTROL}: ${JSON.stringify(control.at(-1))}`);
  }

  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown cpu";
  console.log(`\n### Soak: ${COUNT} backups of MariaDB under sysbench oltp_write_only (2 threads, ${TABLES}×${ROWS} rows) + Aria writes`);
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores (${cpu}), throttle ${THROTTLE}\n`);
  console.log("| # | backup ms | lock ms | journal MiB | trx | oracle | server RSS MiB | anon | shmem | server fds | hb peak RSS MiB |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.n} | ${r.backupMs} | ${r.lockMs} | ${r.journalMiB} | ${r.trx} | ${r.oracle} | ${r.rssMiB} | ${r.anonMiB} | ${r.shmemMiB} | ${r.fds} | ${r.hbPeakMiB} |`);
  if (control.length) {
    console.log(`\nThe same load without hb, ${CONTROL} rounds of ${Math.round(meanBackupMs / 1000)} s each, after the backups:\n`);
    console.log("| round | server RSS MiB | anon | shmem | server fds |\n|---|---|---|---|---|");
    control.forEach((c, i) => console.log(`| control ${i + 1} | ${c.rssMiB} | ${c.anonMiB} | ${c.shmemMiB} | ${c.fds} |`));
  }
  const problems = [
    failures && `${failures} replica oracle check(s) failed`,
    ...(
      [
        ["server RSS", rows.map((r) => r.rssMiB), 0.1],
        ["server fds", rows.map((r) => r.fds), 0.1],
        ["hb peak RSS", rows.map((r) => r.hbPeakMiB), 0.1],
      ] as const
    ).map(([what, values, tolerance]) => {
      const t = trend([...values], tolerance);
      return t && `${what} trends upward: ${t}`;
    }),
  ].filter(Boolean);
  console.log(problems.length ? `\n**SOAK FAILED**: ${problems.join("; ")}` : "\nNo trend: RSS, descriptors and hb's peak RSS flat; every oracle check passed.");
  return problems.length ? 1 : 0;
}

if (import.meta.main) process.exitCode = await soak();
