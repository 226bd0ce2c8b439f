// A server of our own on a datadir, for crash recovery in prepare and for verify --server: no network, no
// binlog, no replication, a private socket and error log, and a clean shutdown at the end. It never outlives
// hb (docs/prepare.md, "Nothing of prepare outlives it"): the kernel kills it when hb dies (setpriv's
// parent-death signal), it runs in its own process group, and every way out of hb kills that group.
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

/** The server's pid and private directory, for a caller that records them where a later run can find them. */
export interface Spawned {
  pid: number;
  run: string;
}

/**
 * What runs the server: setpriv (util-linux) arms the parent-death signal, and as root also switches to the
 * datadir's owner itself (a credential change later, in mariadbd --user, would disarm it). Without setpriv, the
 * server only dies with hb on the ways out hb sees; a later prepare still finds it (src/prepare/leftover.ts).
 */
function launcher(datadir: string): { prefix: string[]; user: string[] } {
  const st = statSync(datadir);
  const root = process.getuid?.() === 0;
  const setpriv = process.env.HB_TEST_NO_SETPRIV ? null : Bun.which("setpriv"); // tests play a system without it
  if (!setpriv) return { prefix: [], user: root ? [`--user=${st.uid === 0 ? "root" : st.uid}`] : [] };
  const become = root && st.uid !== 0 ? [`--reuid=${st.uid}`, `--regid=${st.gid}`, "--clear-groups"] : [];
  return { prefix: [setpriv, ...become, "--pdeathsig", "KILL", "--"], user: root && st.uid === 0 ? ["--user=root"] : [] };
}

const running = new Set<number>(); // process groups of the servers still running

/** SIGKILL to a server's whole process group; nothing when it is gone already. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {}
}

let exitHook = false;
/** The last way out: whatever is still running when hb exits is killed with it. */
function killAllAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const pid of running) killGroup(pid);
  });
}

/** Starts `serverPath` on `datadir`, runs `fn` once it accepts connections, shuts it down cleanly. */
export async function withThrowawayServer<T>(
  serverPath: string,
  datadir: string,
  what: string,
  fn: (s: Throwaway) => Promise<T>,
  { extraArgs = [] as string[], timeoutMs = 600_000, onSpawn = (_: Spawned) => {} } = {},
): Promise<T> {
  const run = mkdtempSync(join(tmpdir(), "hb-server-"));
  // As root, run it as the datadir's owner; otherwise it runs as us.
  const { prefix, user } = launcher(datadir);
  const cnf = join(datadir, "backup-my.cnf");
  const errFile = join(run, "server.err"); // a name without an extension would get ".err" added
  killAllAtExit();
  const proc = Bun.spawn(
    confinedCommand(datadir, [
      ...prefix,
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
    // detached: its own session and process group, which a Ctrl-C at hb's terminal does not reach
    { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "" }, detached: true },
  );
  running.add(proc.pid);
  let ended = false; // exitCode stays null when a signal ended it
  void proc.exited.then(() => (ended = true));
  let signalled: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    if (!ended) killGroup(proc.pid);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const stderr = new Response(proc.stderr).text();
  const errLog = () => (existsSync(errFile) ? readFileSync(errFile, "utf8") : "");
  const tail = async () => (errLog() || (ended ? await stderr : "")).split("\n").slice(-15).join("\n");
  try {
    onSpawn({ pid: proc.pid, run });
    const deadline = Date.now() + timeoutMs;
    while (!/ready for connections/.test(errLog())) {
      if (ended || Date.now() > deadline)
        throw missingPluginError(what, errLog()) ?? new HbError("damaged", `${what}: the server did not start on ${datadir}`, await tail());
      await Bun.sleep(50);
    }
    const result = await fn({ socket: join(run, "s") });
    proc.kill("SIGTERM");
    const code = await proc.exited;
    if (code !== 0) throw missingPluginError(what, errLog()) ?? new HbError("damaged", `${what}: the server on ${datadir} exited with ${code}`, await tail());
    return result;
  } catch (e) {
    // The server died of the signal hb passed on, whatever the error it caused.
    if (signalled) throw new HbError("interrupted", `${what}: interrupted by ${signalled}; the server on ${datadir} was killed`);
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (!ended) killGroup(proc.pid);
    await proc.exited;
    running.delete(proc.pid);
    rmSync(run, { recursive: true, force: true });
  }
}
