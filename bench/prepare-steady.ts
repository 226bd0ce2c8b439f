// Diagnostic: prepare time on backups taken at the same server state. The bench's load case starts its load
// 5 s before each backup, so a 7 s mariabackup ends before the server's checkpoint age has grown, while hb's
// paced minute ends at its plateau, and crash recovery's time follows that age. Here one load runs
// throughout; once the checkpoint age stops growing, hb and mariabackup take turns (order swapped each
// round), then every backup is prepared from a cold cache (case 4) with the redo each one applies.
// Usage: [HB_SOCKET=...] [HB_BENCH_ROUNDS=2] bun run bench/prepare-steady.ts
import { join } from "node:path";
import { run, sysbenchRun, tempDir } from "./lib/harness";
import { prepareCase } from "./cases/prepare";
import { givenOrFilledServer } from "./lib/server";
import { cell } from "./lib/stats";
import { hbBackup, mariabackupBackup } from "./lib/tools";

const rounds = Number(process.env.HB_BENCH_ROUNDS ?? 2);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
const MIB = 2 ** 20;

await using work = tempDir("prepare-steady");
await using server = await givenOrFilledServer(size); // HB_SOCKET: one already filled (bench/keep-server.ts)
const checkpointAge = async () => {
  const r = await run(["mariadb", "-S", server.socket, "-uroot", "-N", "-e", "SHOW GLOBAL STATUS LIKE 'Innodb_checkpoint_age'"]);
  return Number(r.stdout.trim().split(/\s+/)[1]);
};

const load = sysbenchRun(server, { test: "oltp_write_only", threads: 4, tables: size.tables, rows: size.rows });
// The plateau: the highest age of the last 30 s no more than 5% above that of the 30 s before (60 s at
// least, 5 min at most).
const ages: number[] = [];
for (let s = 0; s < 300; s += 5) {
  await Bun.sleep(5000);
  ages.push(await checkpointAge());
  const [older, last] = [ages.slice(-12, -6), ages.slice(-6)];
  if (older.length === 6 && Math.max(...last) <= Math.max(...older) * 1.05) break;
}
console.log(`checkpoint age (MiB, every 5 s): ${ages.map((a) => (a / MIB).toFixed(0)).join(" ")}`);

const hbDests: string[] = [];
const mbDests: string[] = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? ["mariabackup", "hb"] : ["hb", "mariabackup"];
  for (const tool of order) {
    const dest = join(work.path, `${tool}-${round}`);
    const r = tool === "hb" ? await hbBackup(server, dest) : await mariabackupBackup(server, dest);
    (tool === "hb" ? hbDests : mbDests).push(dest);
    console.log(`round ${round} ${tool}: ${r.wallMs.toFixed(0)} ms, checkpoint age after ${((await checkpointAge()) / MIB).toFixed(0)} MiB`);
    await Bun.sleep(10_000);
  }
}
await load.stop();

const p = await prepareCase(hbDests, mbDests);
console.log("| hb --no-recover | hb --recover | mariabackup --prepare | hb --recover / mariabackup | redo, hb MiB | redo, mariabackup MiB | hb --recover ms/MiB | mariabackup ms/MiB |");
console.log("|---|---|---|---|---|---|---|---|");
console.log(
  `| ${cell(p.ms.hbNoRecover)} | ${cell(p.ms.hbRecover)} | ${cell(p.ms.mariabackup)} | ${p.hbRecoverVsMariabackup.toFixed(2)}× | ${cell(p.redoMiB.hb)} | ${cell(p.redoMiB.mariabackup)} | ${cell(p.msPerRedoMiB.hbRecover, 1)} | ${cell(p.msPerRedoMiB.mariabackup, 1)} |`,
);
