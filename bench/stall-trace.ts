// Diagnostic: what the server and the kernel were doing when a commit stalled during a backup. Starts the
// bench's server, ages it under sysbench oltp_write_only (HB_TRACE_AGE_S, 240) until the checkpoint age
// stops growing (the state in which the full bench saw its stalls), then takes HB_TRACE_BACKUPS (4) backups
// under the same load, sampling four times a second InnoDB's checkpoint age, dirty and free pages and waits
// for a free page, the kernel's dirty and writeback pages and the disk's requests in flight, and ten times a
// second every task in uninterruptible sleep with its kernel stack. Prints the samples around every second
// whose slowest transaction exceeded HB_TRACE_SLOW_MS (150), with hb's own steps (HB_DEBUG=epoch).
// HB_TRACE_JSON=file keeps everything; HB_TRACE_DUMP_MS=n has gdb dump every thread of the server and of hb
// when a commit of its own has waited n ms (HB_TRACE_DUMP_DIR); HB_BIN runs another hb binary.
// HB_TRACE_VARIANTS="A;B": hb's backups alternate between variants, each hb flags and NAME=value settings
// of its environment ("" is hb's defaults), e.g. ";--parallel 1"; the summary is per variant.
// "read" reads the datadir's files at HB_TRACE_READ_MIBS (20; 0 = no limit) MiB/s through the page cache, as
// hb's copy does, with no hb and no capture (the server keeps its idle shim): are the stalls hb's, or any
// reader's? Its variant "direct" reads with O_DIRECT. HB_TRACE_GAP_S (10): the pause between backups.
// Usage: bun run bench/stall-trace.ts [hb|mariabackup|none|read] [extra hb args...]
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { HB, run, sysbenchRun, tempDir, type Server } from "./lib/harness";
import { watchDState } from "./lib/dstate";
import { filledServer } from "./lib/server";

const tool = process.argv[2] ?? "hb";
const extra = process.argv.slice(3);
const backups = Number(process.env.HB_TRACE_BACKUPS ?? 4);
const slowMs = Number(process.env.HB_TRACE_SLOW_MS ?? 150);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };

interface Sample {
  at: number;
  ckptAge: number;
  dirtyPages: number;
  kDirtyMiB: number;
  kWritebackMiB: number;
  diskInFlight: number;
  waitFree: number; // Innodb_buffer_pool_wait_free so far: a query that waited for a free page
  freePages: number;
}

const status = async (server: Server) => {
  const rows = await server.query<{ Variable_name: string; Value: string }[]>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_checkpoint_age','Innodb_buffer_pool_pages_dirty','Innodb_buffer_pool_wait_free','Innodb_buffer_pool_pages_free')",
  );
  const v = Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  return (name: string) => v[name] ?? Number.NaN;
};

const vmstat = () => {
  const v = Object.fromEntries(
    readFileSync("/proc/vmstat", "utf8")
      .split("\n")
      .map((l) => l.split(" ")),
  );
  return { kDirtyMiB: (Number(v.nr_dirty) * 4) / 1024, kWritebackMiB: (Number(v.nr_writeback) * 4) / 1024 };
};

const diskInFlight = () => {
  const line = readFileSync("/proc/diskstats", "utf8")
    .split("\n")
    .find((l) => / vda /.test(l));
  return line ? Number(line.trim().split(/\s+/)[11]) : Number.NaN;
};

function sampler(server: Server) {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await status(server);
      samples.push({
        at: Date.now(),
        ckptAge: s("Innodb_checkpoint_age") / 2 ** 20,
        dirtyPages: s("Innodb_buffer_pool_pages_dirty"),
        ...vmstat(),
        diskInFlight: diskInFlight(),
        waitFree: s("Innodb_buffer_pool_wait_free"),
        freePages: s("Innodb_buffer_pool_pages_free"),
      });
      await Bun.sleep(250);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

await using server = await filledServer(size);
await using tmp = tempDir("stall-trace");
const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, seconds: 0, extraArgs: ["--percentile=100"] });
const probe = sampler(server);
const dstate = watchDState();
const dumps = stallDumps(server, Number(process.env.HB_TRACE_DUMP_MS ?? 0));
const ageFor = Number(process.env.HB_TRACE_AGE_S ?? 240);
console.error(`ageing under load for ${ageFor} s`);
await Bun.sleep(ageFor * 1000);
const variants = (process.env.HB_TRACE_VARIANTS ?? "").split(";").map((v) => {
  const tokens = v.split(" ").filter(Boolean);
  const isEnv = (t: string) => /^[A-Z_]+=/.test(t);
  const env = Object.fromEntries(tokens.filter(isEnv).map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
  return { name: v.trim() || "default", flags: tokens.filter((t) => !isEnv(t)), env };
});
const windows: [number, number][] = [];
const variantOf: string[] = []; // per window
const journalMiB: number[] = [];
const steps: string[] = [];
for (let i = 0; i < backups; i++) {
  const dest = join(tmp.path, `b${i}`);
  const variant = variants[i % variants.length]!;
  const t0 = Date.now();
  if (tool === "hb") {
    const argv = [process.env.HB_BIN ?? HB, "backup", "--socket", server.socket, "--user", "root", "--no-space-check", "--json", ...extra, ...variant.flags, dest];
    const r = await run(argv, { timeoutMs: 900_000, env: { HB_DEBUG: "epoch", ...variant.env } });
    if (r.code !== 0) throw new Error(r.stderr);
    const out = JSON.parse(r.stdout);
    steps.push(...r.stderr.split("\n").filter((l) => l.includes("@")));
    journalMiB.push(out.journalBytes / 2 ** 20);
    console.error(`backup ${i} (${variant.name}): ${Date.now() - t0} ms, journal ${(out.journalBytes / 2 ** 20).toFixed(0)} MiB, ring waits ${out.ringWaits}`);
  } else if (tool === "mariabackup") {
    await run(["mariabackup", "--backup", `--target-dir=${dest}`, `--socket=${server.socket}`, "--user=root"], { timeoutMs: 900_000 });
  } else if (tool === "read") await pacedRead(server.datadir, Number(process.env.HB_TRACE_READ_MIBS ?? 20) * 2 ** 20, variant.flags.includes("direct"));
  else await Bun.sleep(60_000);
  windows.push([t0, Date.now()]);
  variantOf.push(tool === "hb" || tool === "read" ? variant.name : tool);
  await Bun.sleep(Number(process.env.HB_TRACE_GAP_S ?? 10) * 1000); // the backups are kept, as the bench keeps them: deleting one stalls the disk (discard)
}
const res = await load.stop();
await probe.stop();
dstate.stop();
await dumps.stop();
if (process.env.HB_TRACE_JSON)
  await Bun.write(process.env.HB_TRACE_JSON, JSON.stringify({ windows, variantOf, journalMiB, sysbench: res.samples, server: probe.samples, dstate: dstate.seen, steps }));

const inWindow = (at: number) => windows.some(([a, b]) => at >= a - 1000 && at <= b + 1000);
const fmt = (s: Sample) =>
  `  ${new Date(s.at).toISOString().slice(14, 23)} ckpt ${s.ckptAge.toFixed(0).padStart(4)} MiB dirty ${String(s.dirtyPages).padStart(6)} kdirty ${s.kDirtyMiB.toFixed(0).padStart(4)} kwb ${s.kWritebackMiB.toFixed(0).padStart(4)} inflight ${s.diskInFlight} free ${s.freePages} waitfree ${s.waitFree}`;
for (const [i, [a, b]] of windows.entries()) {
  const during = res.samples.filter((s) => s.at > a && s.at - 1000 < b);
  const worst = Math.max(...during.map((s) => s.latencyP99Ms));
  const ckpt = probe.samples.filter((s) => s.at >= a && s.at <= b).map((s) => s.ckptAge);
  console.log(`window ${i} (${variantOf[i]}): ${b - a} ms, worst txn ${worst.toFixed(0)} ms, ckpt age ${Math.min(...ckpt).toFixed(0)}–${Math.max(...ckpt).toFixed(0)} MiB`);
}
const outside = res.samples.filter((s) => !inWindow(s.at));
const tpsOf = (xs: { tps: number }[]) => xs.reduce((sum, s) => sum + s.tps, 0) / Math.max(1, xs.length);
for (const name of new Set(variantOf)) {
  const mine = windows.filter((_, i) => variantOf[i] === name);
  const seconds = res.samples.filter((s) => mine.some(([a, b]) => s.at > a && s.at - 1000 < b));
  const worstPer = mine.map(([a, b]) => Math.max(...res.samples.filter((s) => s.at > a && s.at - 1000 < b).map((s) => s.latencyP99Ms)));
  const ends = mine.map(([, b]) => Math.max(...res.samples.filter((s) => s.at > b - 1000 && s.at <= b + 1000).map((s) => s.latencyP99Ms)));
  const journal = journalMiB.filter((_, i) => variantOf[i] === name);
  console.log(
    `${name}: ${mine.length} backups, worst txn per backup ${worstPer.map((w) => w.toFixed(0)).join(" ")} ms, seconds over 1 s ${seconds.filter((s) => s.latencyP99Ms > 1000).length}, end second ${ends.map((w) => w.toFixed(0)).join(" ")} ms, TPS in/out ${(tpsOf(seconds) / tpsOf(outside)).toFixed(3)}, journal ${journal.map((j) => j.toFixed(0)).join(" ")} MiB`,
  );
}
for (const s of res.samples.filter((s) => s.latencyP99Ms > slowMs)) {
  const stacks = new Map<string, number>();
  for (const d of dstate.seen.filter((d) => d.at > s.at - 1500 && d.at <= s.at)) stacks.set(`${d.comm}: ${d.stack}`, (stacks.get(`${d.comm}: ${d.stack}`) ?? 0) + 1);
  console.log(`${inWindow(s.at) ? "IN " : "OUT"} second ending ${new Date(s.at).toISOString().slice(14, 23)}: tps ${s.tps.toFixed(0)} worst ${s.latencyP99Ms.toFixed(0)} ms`);
  for (const p of probe.samples.filter((p) => p.at > s.at - 2500 && p.at < s.at + 500)) console.log(fmt(p));
  for (const l of steps.filter((l) => {
    const at = Number(/@(\d+)/.exec(l)?.[1]);
    return at > s.at - 3000 && at < s.at + 500;
  }))
    console.log(`  hb ${l.trim()} (${new Date(Number(/@(\d+)/.exec(l)?.[1])).toISOString().slice(14, 23)})`);
  for (const [stack, n] of [...stacks].sort((a, b) => b[1] - a[1])) console.log(`  D x${n} ${stack}`);
}

/** With HB_TRACE_DUMP_MS: a commit loop of its own; when one commit has been waiting that long, every thread's
 * stack of the server and of hb (gdb), into HB_TRACE_DUMP_DIR (at most 5 dumps). */
function stallDumps(server: Server, afterMs: number) {
  if (!afterMs) return { stop: async () => {} };
  const dir = process.env.HB_TRACE_DUMP_DIR ?? tmp.path;
  let since = 0;
  let running = true;
  let dumped = 0;
  let dumping = false;
  const loop = (async () => {
    const conn = await server.connect();
    await conn.query("CREATE TABLE IF NOT EXISTS test.hb_stall_probe (id INT AUTO_INCREMENT PRIMARY KEY, at BIGINT) ENGINE=InnoDB");
    while (running) {
      since = performance.now();
      await conn.query("INSERT INTO test.hb_stall_probe (at) VALUES (?)", [Date.now()]);
      since = 0;
      await Bun.sleep(5);
    }
    await conn.end();
  })();
  const timer = setInterval(async () => {
    if (!since || dumping || dumped >= 5 || performance.now() - since < afterMs) return;
    dumping = true;
    const pids = (await run(["pgrep", "-x", "mariadbd|hb"])).stdout.trim().split("\n");
    const file = join(dir, `stall-${Date.now()}.txt`);
    let out = `commit waiting ${Math.round(performance.now() - since)} ms at ${new Date().toISOString()}\n`;
    for (const pid of pids) {
      const r = await run(["gdb", "-p", pid, "-batch", "-nx", "-ex", "thread apply all bt 12"], { timeoutMs: 30_000 });
      out += `=== pid ${pid}\n${r.stdout}\n`;
    }
    await Bun.write(file, out);
    console.error(`stall dump: ${file}`);
    dumped++;
    dumping = false;
  }, 50);
  return {
    async stop() {
      running = false;
      clearInterval(timer);
      await loop;
    },
  };
}

/** Reads every file under `dir` but the binary logs (hb leaves them out) once, in 1 MiB reads, at `rate` bytes a
 * second (0: no limit); `direct`: with O_DIRECT, past the page cache (the buffer is page-aligned). */
async function pacedRead(dir: string, rate: number, direct = false) {
  const buf = Buffer.allocUnsafe(1 << 20);
  const O_DIRECT = 0o40000;
  const t0 = performance.now();
  let bytes = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || /^binlog\.\d+$/.test(e.name)) continue;
    const fd = openSync(join(e.parentPath, e.name), direct ? O_DIRECT : 0);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      bytes += n;
      const ahead = rate ? (bytes / rate) * 1000 - (performance.now() - t0) : 0;
      if (ahead > 0) await Bun.sleep(ahead);
    }
    closeSync(fd);
  }
}
