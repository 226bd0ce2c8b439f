// Diagnostic: idle backups from a cold cache, hb variants (argv: flag lists) against mariabackup, alternating.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./lib/harness";
import { dropCaches } from "./lib/caches";
import { filledServer } from "./lib/server";
import { hbBackup, mariabackupBackup, syncMs } from "./lib/tools";

const variants = process.argv.slice(2);
const size = { tables: Number(process.env.HB_BENCH_TABLES ?? 8), rows: Number(process.env.HB_BENCH_ROWS ?? 500_000) };
await using work = tempDir("idle-variants");
await using server = await filledServer(size);
for (let round = 0; round < Number(process.env.HB_BENCH_ROUNDS ?? 3); round++) {
  const line: string[] = [];
  for (const v of [...variants, "mariabackup"]) {
    const dest = join(work.path, `d${round}-${line.length}`);
    dropCaches();
    const r = v === "mariabackup" ? await mariabackupBackup(server, dest) : await hbBackup(server, dest, v.split(" ").filter(Boolean));
    const ms = r.wallMs + (v === "mariabackup" ? await syncMs() : 0);
    line.push(`${v || "hb"}: ${ms.toFixed(0)} ms${r.autoThrottle ? ` ${JSON.stringify(r.autoThrottle)}` : ""}`);
    rmSync(dest, { recursive: true, force: true });
    await Bun.sleep(Number(process.env.HB_SETTLE_MS ?? 0)); // the freed blocks settle before the next cold run
  }
  console.log(`round ${round}: ${line.join(" | ")}`);
}
