// A server of our own on a datadir, for crash recovery in prepare and for verify --server: no network, no
// binlog, no replication, a private socket and error log, and a clean shutdown at the end.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HbError } from "../errors";
import { confinedCommand, confinedPathArgs } from "./confined";
import { missingPluginError } from "./missing-plugin";

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

export interface Throwaway {
  socket: string;
}

/** Starts `serverPath` on `datadir`, runs `fn` once it accepts connections, shuts it down cleanly. */
export async function withThrowawayServer<T>(
  serverPath: string,
  datadir: string,
  what: string,
  fn: (s: Throwaway) => Promise<T>,
  { extraArgs = [] as string[], timeoutMs = 600_000 } = {},
): Promise<T> {
  const run = mkdtempSync(join(tmpdir(), "hb-server-"));
  // As root, run it as the datadir's owner (mariadbd takes a uid too); otherwise it runs as us.
  const owner = statSync(datadir).uid;
  const user = process.getuid?.() === 0 ? [`--user=${owner === 0 ? "root" : owner}`] : [];
  const cnf = join(datadir, "backup-my.cnf");
  const errFile = join(run, "server.err"); // a name without an extension would get ".err" added
  const proc = Bun.spawn(
    confinedCommand(datadir, [
      serverPath,
      ...(existsSync(cnf) ? [`--defaults-file=${cnf}`] : ["--no-defaults"]),
      `--datadir=${datadir}`,
      ...confinedPathArgs(datadir),
      `--socket=${join(run, "s")}`,
      `--pid-file=${join(run, "pid")}`,
      `--log-error=${errFile}`,
      ...user,
      "--skip-networking",
      "--skip-log-bin",
      "--skip-slave-start",
      "--innodb-buffer-pool-size=128M",
      // ib_buffer_pool is the source's list for warming up after a restore: not ours to read or rewrite
      "--innodb-buffer-pool-load-at-startup=0",
      "--innodb-buffer-pool-dump-at-shutdown=0",
      ...extraArgs,
    ]),
    { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } },
  );
  const stderr = new Response(proc.stderr).text();
  const errLog = () => (existsSync(errFile) ? readFileSync(errFile, "utf8") : "");
  const tail = async () => (errLog() || (proc.exitCode !== null ? await stderr : "")).split("\n").slice(-15).join("\n");
  try {
    const deadline = Date.now() + timeoutMs;
    while (!/ready for connections/.test(errLog())) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw missingPluginError(what, errLog()) ?? new HbError("damaged", `${what}: the server did not start on ${datadir}`, await tail());
      await Bun.sleep(50);
    }
    const result = await fn({ socket: join(run, "s") });
    proc.kill("SIGTERM");
    const code = await proc.exited;
    if (code !== 0) throw missingPluginError(what, errLog()) ?? new HbError("damaged", `${what}: the server on ${datadir} exited with ${code}`, await tail());
    return result;
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await proc.exited;
    rmSync(run, { recursive: true, force: true });
  }
}
