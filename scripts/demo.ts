// The README's demo: a program under write load backed up live, prepared, and checked against the truth.
// (Raw mode for now: the MariaDB demo replaces it once `hb backup` speaks to servers.)
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWriter, readCounter } from "../test/oracle/build-writer";
import { compareTrees, treeSummary } from "../test/helpers/tree";

const root = join(import.meta.dir, "..");
const hb = join(root, "dist/hb");
const work = mkdtempSync(join(tmpdir(), "hb-demo-"));
const say = (s: string) => console.log(`\n== ${s}`);
const sh = (cmd: string[], env: Record<string, string> = {}) => {
  const r = Bun.spawnSync(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  if (!r.success) throw new Error(`${cmd.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.toString();
};

try {
  const writer = await buildWriter();
  const src = join(work, "data");
  mkdirSync(src);
  say("a writer with the shim preloaded mutates data/ as fast as it can (writes, renames, unlinks, mkdir, links…)");
  const shim = sh([hb, "shim", "path", "--dir", join(work, "lib")]).trim();
  const proc = Bun.spawn([writer, "run", src, "7", "--threads", "2", "--delay-us", "20", "--ready", join(work, "ready")], {
    env: { ...process.env, LD_PRELOAD: shim },
    stderr: "ignore",
  });
  while (!existsSync(join(work, "ready")) || readCounter(src, 0) < 2000) await Bun.sleep(20);
  say(`hb backup --raw --throttle 1M (the copy takes a while; the writer keeps going)`);
  const dest = join(work, "backup");
  const backup = JSON.parse(sh([hb, "backup", "--raw", "--json", "--source", src, "--pid", String(proc.pid), "--throttle", "1M", dest]));
  console.log(`copied ${backup.bytesCopied} bytes in ${backup.copyMs} ms; journal: ${backup.journalRecords} records, ${backup.journalBytes} bytes`);
  proc.kill("SIGTERM");
  await proc.exited;
  say("hb prepare");
  console.log(sh([hb, "prepare", dest]).trim() || "prepared");
  say("verify: replay the writer's own op log up to the counters found in the backup, compare byte for byte");
  const ks = [0, 1].map((t) => readCounter(dest, t));
  let exact = true;
  for (const plus of ["", "+"]) {
    const truth = join(work, `truth${plus}`);
    sh([writer, "replay", truth, "7", "--upto", ks.map((k) => `${k}${plus}`).join(",")]);
    const diffs = (await Promise.all([0, 1].map((t) => compareTrees(join(dest, `t${t}`), join(truth, `t${t}`))))).flat();
    exact = diffs.length === 0;
    if (exact) break;
    if (plus) console.log(diffs.slice(0, 10).join("\n"));
  }
  const s = await treeSummary(dest);
  console.log(`backup taken at ops ${ks.join(" and ")}: ${s.files} files, ${s.dirs} dirs, ${s.bytes} bytes — ${exact ? "EXACT" : "DIFFERENT"}`);
  process.exitCode = exact ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
