// Bad input to hb backup and hb prepare, each case not covered elsewhere (see docs/security.md's inventory):
// a clear error with its documented exit code, a message that names the problem, nothing written outside
// DEST (the datadir and a sibling directory are compared before and after), and the server still answering
// with no backup lock and no capture left behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Capture } from "../../src/capture/control";
import { ExitCode } from "../../src/errors";
import { HB, run, tempDir, type RunResult } from "../helpers/harness";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { otherProtocolShim } from "../helpers/variants";

let server: Server; // binary logging off: the --slave-info cases need it so, the others do not care
const tmp = tempDir("bad-input");
const sibling = join(tmp.path, "sibling"); // a neighbour of every DEST: must stay as it is

beforeAll(async () => {
  server = await startMariaDB({ binlog: false });
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB");
  await server.query("INSERT INTO d.t VALUES (1), (2)");
  await server.query("CREATE USER 'weak'@'localhost' IDENTIFIED BY 'weakpass'");
  await server.query("GRANT SELECT ON *.* TO 'weak'@'localhost'");
  mkdirSync(sibling);
  writeFileSync(join(sibling, "keep"), "mine");
}, 120_000);
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

/** Every path under dir with its type, size and mtime (lstat: a symlink is itself). */
function tree(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (skip.includes(p)) continue;
      const st = lstatSync(p);
      out[relative(dir, p)] = `${st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : "f"} ${st.mode & 0o7777} ${st.isDirectory() ? "" : st.size} ${st.mtimeMs}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

// The server's own files change on their own (InnoDB's redo and system tablespace when it checkpoints,
// the binlog-less server's ddl log): their names are compared, not their times.
const SERVER_WRITES = /^(ib_logfile\d+|ibdata\d+|undo\d+|aria_log.*|ddl_recovery.*\.log|ib_buffer_pool|ibtmp\d+)$/;

function serverFiles(): Record<string, string> {
  const t = tree(server.datadir);
  for (const k of Object.keys(t)) if (SERVER_WRITES.test(k)) t[k] = "(server's own)";
  return t;
}

/** hb run with this DEST, checked: exit code, message, nothing written outside DEST, server released. */
async function refused(args: string[], exitCode: number, message: RegExp | string): Promise<RunResult> {
  return refusedCmd([HB, ...args], exitCode, message);
}

async function refusedCmd(cmd: string[], exitCode: number, message: RegExp | string, dests: string[] = []): Promise<RunResult> {
  const before = { data: serverFiles(), tmp: tree(tmp.path, dests) };
  const r = await run(cmd, { timeoutMs: 120_000 });
  if (r.code !== exitCode) console.error(r.stderr);
  expect(r.code).toBe(exitCode);
  expect(r.stdout).toBe("");
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(serverFiles()).toEqual(before.data);
  expect(tree(tmp.path, dests)).toEqual(before.tmp);
  await released(server);
  return r;
}

/** The server answers, holds no BACKUP STAGE (another session gets one at once) and runs no capture. */
async function released(s: Server, hasShim = true) {
  const conn = await s.connect();
  try {
    await conn.query("SET SESSION lock_wait_timeout = 5");
    await conn.query("BACKUP STAGE START");
    await conn.query("BACKUP STAGE BLOCK_COMMIT"); // would wait for a backup lock held elsewhere
    await conn.query("BACKUP STAGE END");
  } finally {
    conn.destroy();
  }
  if (!hasShim) return;
  const cap = Capture.attach(s.pid);
  try {
    expect(cap.status().state).not.toBe("active");
  } finally {
    cap.detach();
  }
}

const backupArgs = (dest: string, ...extra: string[]) => ["backup", "--socket", server.socket, "--user", "root", ...extra, dest];
const D = ExitCode;

describe("hb backup refuses an unusable DEST (exit 7) before writing anything", () => {
  test("DEST not empty: left exactly as it was", async () => {
    const dest = join(tmp.path, "full");
    mkdirSync(dest);
    writeFileSync(join(dest, "yesterday.tar"), "old backup");
    await refused(backupArgs(dest), D.destination, `${dest} is not empty`);
    expect(readdirSync(dest)).toEqual(["yesterday.tar"]);
  }, 60_000);

  test("DEST is a file", async () => {
    const dest = join(sibling, "keep");
    await refused(backupArgs(dest), D.destination, `${dest} exists and is not a directory`);
    expect(readFileSync(dest, "utf8")).toBe("mine");
  }, 60_000);

  test("DEST contains the datadir", async () => {
    await refused(backupArgs(server.dir), D.destination, `contains ${server.datadir}, which is being backed up`);
  }, 60_000);

  test("DEST below a file (cannot be created)", async () => {
    const dest = join(sibling, "keep", "b");
    await refused(backupArgs(dest), D.destination, /cannot create .*keep\/b: ENOTDIR/);
  }, 60_000);

  test("DEST on a read-only filesystem (new, and existing empty)", async () => {
    // A read-only bind mount in a mount namespace of hb's own: nothing to undo, whatever happens.
    const ro = join(tmp.path, "ro");
    mkdirSync(join(ro, "empty"), { recursive: true });
    const inRo = (dest: string) => [
      "unshare", "-m", "--propagation", "private", "sh", "-c",
      'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"', ro, HB, ...backupArgs(dest),
    ];
    const fresh = await refusedCmd(inRo(join(ro, "new")), D.destination, /cannot create .*ro\/new: EROFS: read-only file system/);
    expect(fresh.stderr).not.toContain("internal");
    await refusedCmd(inRo(join(ro, "empty")), D.destination, /cannot create .*ro\/empty: EROFS/);
    expect(readdirSync(ro)).toEqual(["empty"]);
  }, 60_000);

  test("DEST an empty directory that belongs to another user", async () => {
    const dest = join(tmp.path, "theirs");
    mkdirSync(dest, { mode: 0o777 });
    await run(["chown", "nobody", dest]);
    await refused(backupArgs(dest), D.destination, /theirs belongs to uid \d+, not to this user/);
    expect(readdirSync(dest)).toEqual([]);
  }, 60_000);
});

describe("hb backup refuses a server it cannot back up, and creates no DEST", () => {
  test("missing privileges (exit 4): DEST is not created, so a retry after GRANT works", async () => {
    const dest = join(tmp.path, "weak");
    await refused(["backup", "--socket", server.socket, "--user", "weak", "--password", "weakpass", dest], D.privileges, "lacks RELOAD");
    expect(existsSync(dest)).toBe(false);
  }, 60_000);

  test("shim protocol mismatch (exit 5): names both sides, DEST not created", async () => {
    await using other = await startMariaDB({ binlog: false, shimPath: otherProtocolShim(99) });
    const dest = join(tmp.path, "proto");
    const r = await run([HB, "backup", "--socket", other.socket, "--user", "root", dest], { timeoutMs: 60_000 });
    expect(r.code).toBe(D.shim);
    expect(r.stderr).toContain(`process ${other.pid}: the shim in the process speaks another protocol version`);
    expect(existsSync(dest)).toBe(false);
    await released(other, false); // its shim is not one hb can attach to
    const status = await run([HB, "shim", "status", "--pid", String(other.pid)]);
    expect(status.code).toBe(D.shim);
    expect(status.stderr).toContain("another protocol version");
  }, 120_000);
});

describe("bad durations and sizes are usage errors (exit 2) before anything happens", () => {
  const cases: [string[], string][] = [
    [["--lock-wait-timeout", "5x"], 'invalid --lock-wait-timeout "5x"'],
    [["--lock-wait-timeout=-1"], 'invalid --lock-wait-timeout "-1"'],
    [["--lock-wait-timeout", "-1"], "option --lock-wait-timeout needs a value"],
    [["--lock-wait-timeout="], 'invalid --lock-wait-timeout ""'],
    [["--lock-wait-timeout", "100000h"], 'invalid --lock-wait-timeout "100000h": at most 31536000 s'],
    [["--safe-slave-backup-timeout", "soon"], 'invalid --safe-slave-backup-timeout "soon"'],
    [["--throttle", "fast"], 'invalid --throttle "fast"'],
    [["--ring", "0"], 'invalid --ring "0": must be more than 0'],
    [["--ring", "1"], 'invalid --ring "1": the shim\'s ring is 4M to 256M'], // was raised to 4 MiB silently
    [["--ring", "4095K"], 'invalid --ring "4095K": the shim\'s ring is 4M to 256M'],
    [["--ring", "257M"], 'invalid --ring "257M": the shim\'s ring is 4M to 256M'], // was lowered to 256 MiB silently
    [["--parallel", "0"], 'invalid --parallel "0"'],
  ];
  for (const [args, message] of cases)
    test(args.join(" ") || "(empty)", async () => {
      const dest = join(tmp.path, "usage");
      await refused(backupArgs(dest, ...args), D.usage, message);
      expect(existsSync(dest)).toBe(false);
    }, 30_000);
});

describe("--slave-info with binary logging off", () => {
  // As mariabackup: the replica's coordinates come from SHOW ALL SLAVES STATUS and do not need the
  // server's own binlog; on a server that is no replica --slave-info is ignored with a warning.
  test("not a replica: the backup succeeds with a warning, no xtrabackup_slave_info nor _binlog_info", async () => {
    const dest = join(tmp.path, "slave-info-none");
    const r = await run([HB, ...backupArgs(dest, "--slave-info")], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--slave-info: this server is not a replica; no xtrabackup_slave_info will be written");
    expect(existsSync(join(dest, "xtrabackup_slave_info"))).toBe(false);
    expect(existsSync(join(dest, "xtrabackup_binlog_info"))).toBe(false);
    await released(server);
  }, 120_000);

  test("a replica (configured, stopped): xtrabackup_slave_info has its position in the source's binlog", async () => {
    await server.query(
      "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=1, MASTER_USE_GTID=no, MASTER_LOG_FILE='primary-bin.000007', MASTER_LOG_POS=1234",
    );
    try {
      const dest = join(tmp.path, "slave-info-replica");
      const r = await run([HB, ...backupArgs(dest, "--slave-info")], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain("not a replica");
      expect(readFileSync(join(dest, "xtrabackup_slave_info"), "utf8")).toBe(
        "CHANGE MASTER TO MASTER_LOG_FILE='primary-bin.000007', MASTER_LOG_POS=1234;\n",
      );
      expect(existsSync(join(dest, "xtrabackup_binlog_info"))).toBe(false);
      await released(server);
    } finally {
      await server.query("RESET SLAVE ALL");
    }
  }, 120_000);
});

describe("hb prepare on what is not a backup (exit 10), writing nothing", () => {
  test("a directory of other files", async () => {
    const dir = join(tmp.path, "not-a-backup");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "x");
    await refused(["prepare", dir], D.damaged, `${dir} is not an hb backup (no .hb/manifest.json)`);
  }, 30_000);

  test("a directory that does not exist, and a file", async () => {
    await refused(["prepare", join(tmp.path, "nowhere")], D.damaged, "is not an hb backup");
    expect(existsSync(join(tmp.path, "nowhere"))).toBe(false);
    await refused(["prepare", join(sibling, "keep")], D.damaged, "is not an hb backup");
  }, 30_000);
});
