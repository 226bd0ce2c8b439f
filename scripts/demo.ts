// The README's demo of the main job: a throwaway MariaDB with the shim preloaded, under sysbench write
// load, Aria/MyISAM writes and DDL; hb backs it up live, prepares it, a second server starts on the copy
// ("restore"), the source's binlog is applied from the backup's coordinates, and every table's checksum is
// compared with the source's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyBinlogFrom } from "../test/helpers/binlog";
import { ddlStorm } from "../test/helpers/ddl-storm";
import { HB, run, tempDir } from "../test/helpers/harness";
import { sysbenchPrepare, sysbenchRun, writeLoop } from "../test/helpers/load";
import { checksumAll, startMariaDB } from "../test/helpers/mariadb";

const say = (s: string) => console.log(`\n== ${s}`);
const must = async (cmd: string[]) => {
  const r = await run(cmd, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r;
};

say("a throwaway MariaDB with LD_PRELOAD=libhbshim.so, 4 sysbench tables of 50k rows");
await using source = await startMariaDB({ binlog: true });
await sysbenchPrepare(source, { tables: 4, rows: 50_000 });
say("load: sysbench oltp_write_only (2 threads), Aria and MyISAM writers, a DDL storm");
const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
const aria = await writeLoop(source, { engine: "Aria", table: "aria_t", ratePerSec: 100 });
const myisam = await writeLoop(source, { engine: "MyISAM", table: "myisam_t", ratePerSec: 100 });
const storm = await ddlStorm(source, { pauseMs: 50 });
await Bun.sleep(1000);

await using tmp = tempDir("hb-demo");
const dest = join(tmp.path, "backup");
say(`hb backup --throttle 30M ${dest}`);
const backup = JSON.parse((await must([HB, "backup", "--socket", source.socket, "--user", "root", "--throttle", "30M", "--json", dest])).stdout);
console.log(`copied ${(backup.bytesCopied / 2 ** 20).toFixed(0)} MiB in ${backup.copyMs} ms while the load ran; journal ${(backup.journalBytes / 2 ** 20).toFixed(0)} MiB`);
console.log(`LOCK TIME ${backup.lockTimeMs} ms (BLOCK_DDL → END); binlog ${backup.binlog.file}:${backup.binlog.position} gtid ${backup.binlog.gtid}`);
console.log(`DDL during the backup (hb_ddl.log): ${backup.ddl} statements`);
await Bun.sleep(500);
const [sb] = await Promise.all([load.stop(), storm.stop(), aria.stop(), myisam.stop()]);
console.log(`sysbench: ${sb.tps.toFixed(0)} tps, ${sb.errors} errors`);

say("hb prepare (journal replay + the server's own crash recovery)");
const prep = JSON.parse((await must([HB, "prepare", "--json", dest])).stdout);
console.log(`${prep.records} journal records replayed; recovery ${prep.recoveryMs ?? "skipped"} ms`);

say("restore: a second server starts on the prepared backup; the source's binlog is applied from xtrabackup_binlog_info");
const [file, position] = readFileSync(join(dest, "xtrabackup_binlog_info"), "utf8").trim().split("\t");
await using copy = await startMariaDB({ datadir: dest, binlog: false, serverId: 2 });
await applyBinlogFrom(source, copy, file!, position!);

say("verify: every table and CHECKSUM TABLE, source vs restored copy");
const [want, got] = await Promise.all([checksumAll(source), checksumAll(copy)]);
const same = JSON.stringify(want) === JSON.stringify(got);
for (const t of want) console.log(`${t.table.padEnd(24)} ${String(t.checksum).padStart(12)}  ${got.find((g) => g.table === t.table)?.checksum === t.checksum ? "equal" : "DIFFERENT"}`);
console.log(`\n${want.length} tables: ${same ? "IDENTICAL" : "DIFFERENT"}`);
process.exitCode = same ? 0 : 1;
