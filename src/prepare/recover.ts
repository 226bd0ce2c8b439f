// Optional last step of prepare for a server backup: run the server's own crash recovery on DEST in a
// throwaway process (no network, no binlog, no replication, private socket), and shut it down cleanly, so
// the first start after restore is fast and a damaged image shows up now, not during a restore.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HbError } from "../errors";
import { log } from "../log";

const CANDIDATES = ["/usr/sbin/mariadbd", "/usr/local/mysql/bin/mariadbd", "/usr/bin/mariadbd"];

/** A mariadbd whose version is `want` (e.g. "10.11.6-MariaDB-0+deb12u1"), or undefined. */
export function findServer(want: string): { path: string; version: string } | undefined {
  const base = want.split("-")[0];
  for (const path of [process.env.HB_MARIADBD, Bun.which("mariadbd"), ...CANDIDATES]) {
    if (!path || !existsSync(path)) continue;
    const out = Bun.spawnSync([path, "--version"]).stdout.toString();
    const version = /Ver\s+(\S+)/.exec(out)?.[1] ?? "";
    if (version.split("-")[0] === base) return { path, version };
  }
  return undefined;
}

export interface RecoverResult {
  server: string;
  durationMs: number;
}

export async function recoverDatadir(dest: string, serverPath: string, timeoutMs = 600_000): Promise<RecoverResult> {
  const started = performance.now();
  const run = mkdtempSync(join(tmpdir(), "hb-recover-"));
  const before = new Set(readdirSync(dest));
  // As root, run it as DEST's owner (mariadbd takes a uid too); otherwise it runs as us.
  const owner = statSync(dest).uid;
  const user = process.getuid?.() === 0 ? (owner === 0 ? ["--user=root"] : [`--user=${owner}`]) : [];
  const cnf = join(dest, "backup-my.cnf");
  const args = [
    serverPath,
    ...(existsSync(cnf) ? [`--defaults-file=${cnf}`] : ["--no-defaults"]),
    `--datadir=${dest}`,
    `--socket=${join(run, "s")}`,
    `--pid-file=${join(run, "pid")}`,
    `--log-error=${join(run, "recover.err")}`,
    ...user,
    "--skip-networking",
    "--skip-log-bin",
    "--skip-slave-start",
    "--innodb-buffer-pool-size=128M",
  ];
  const proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  const stderr = new Response(proc.stderr).text();
  const errLog = () => (existsSync(join(run, "recover.err")) ? readFileSync(join(run, "recover.err"), "utf8") : ""); // a name without an extension would get ".err" added
  try {
    const deadline = Date.now() + timeoutMs;
    while (!/ready for connections/.test(errLog())) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        const tail = (errLog() || (proc.exitCode !== null ? await stderr : "")).split("\n").slice(-15).join("\n");
        throw new HbError("damaged", `crash recovery of ${dest} failed: the server did not start`, tail);
      }
      await Bun.sleep(50);
    }
    proc.kill("SIGTERM");
    const code = await proc.exited;
    if (code !== 0) throw new HbError("damaged", `crash recovery of ${dest}: the server exited with ${code}`, errLog().split("\n").slice(-15).join("\n"));
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await proc.exited;
    rmSync(run, { recursive: true, force: true });
  }
  // The server may leave files of its own run behind; DEST keeps only what the backup had.
  for (const name of readdirSync(dest)) if (!before.has(name) && /^(ibtmp\d*|.*\.pid|mysql_upgrade_info)$/.test(name)) rmSync(join(dest, name), { force: true });
  const durationMs = Math.round(performance.now() - started);
  log.info(`crash recovery done in ${durationMs} ms with ${serverPath}`);
  return { server: serverPath, durationMs };
}
