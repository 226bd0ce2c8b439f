// Replication: back up a replica with --slave-info --safe-slave-backup while its source takes writes, start a
// new replica from the backup with xtrabackup_slave_info, let it catch up: its tables equal the source's.
// Servers talk over loopback TCP (replication has no unix-socket transport).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir, waitFor } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { checksumAll, startMariaDB, type Server } from "../helpers/mariadb";

const port = () => 20_000 + Math.floor(Math.random() * 20_000);
const tcp = (p: number) => ["--skip-networking=0", "--bind-address=127.0.0.1", `--port=${p}`];

async function replicate(replica: Server, sourcePort: number, extra: string[] = []) {
  for (const sql of [
    `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${sourcePort}, MASTER_USER='repl', MASTER_PASSWORD='replpw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
    ...extra,
    "START SLAVE",
  ])
    await replica.query(sql);
}

// Caught up: the replica is at the source's position, and the source's position held still between two polls
// (a commit in flight when the load was interrupted still lands after it). A stopped SQL thread ends the wait
// at once, with its error; the timeout names how far the replica got and what its I/O thread last said.
async function caughtUp(source: Server, replica: Server) {
  const gtidPos = async (s: Server, v: string) => (await s.query<{ pos: string }[]>(`SELECT @@${v} AS pos`))[0]!.pos;
  let want = "";
  let got = "";
  let status: Record<string, string> = {};
  await waitFor(
    async () => {
      const before = want;
      want = await gtidPos(source, "gtid_binlog_pos");
      [status = {}] = await replica.query<Record<string, string>[]>("SHOW SLAVE STATUS");
      got = await gtidPos(replica, "gtid_slave_pos");
      if (Number(status.Last_SQL_Errno) || status.Slave_SQL_Running === "No")
        throw new Error(`replica SQL thread stopped at ${got}: ${status.Last_SQL_Error}`);
      return got === want && want === before;
    },
    {
      what: () => `the replica to reach ${want} (it is at ${got}, I/O thread ${status.Slave_IO_Running}: ${status.Last_IO_Error || "no error"})`,
      timeoutMs: 120_000,
      intervalMs: 200,
    },
  );
}

describe("replication", () => {
  test("a new replica started from a backup of a replica catches up and equals the source", async () => {
    const sourcePort = port();
    await using source = await startMariaDB({ binlog: true, serverId: 1, extraArgs: tcp(sourcePort) });
    await source.query("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw'");
    await source.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'");
    await sysbenchPrepare(source, { tables: 2, rows: 10_000 });
    await using replica = await startMariaDB({ binlog: true, serverId: 2, extraArgs: ["--log-slave-updates"] });
    await replicate(replica, sourcePort, ["SET GLOBAL gtid_slave_pos = ''"]);
    await caughtUp(source, replica);

    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
    await using tmp = tempDir("replication");
    const dest = join(tmp.path, "b");
    const backup = await run(
      [HB, "backup", "--socket", replica.socket, "--user", "root", "--slave-info", "--safe-slave-backup", "--throttle", "20M", dest],
      { timeoutMs: 300_000 },
    );
    expect(backup.stderr).toContain("backup complete");
    expect(backup.code).toBe(0);
    // the SQL thread was restarted after the lock
    const [status] = await replica.query<{ Slave_SQL_Running: string }[]>("SHOW SLAVE STATUS");
    expect(status!.Slave_SQL_Running).toBe("Yes");
    const slaveInfo = readFileSync(join(dest, "xtrabackup_slave_info"), "utf8");
    expect(slaveInfo).toMatch(/^SET GLOBAL gtid_slave_pos = '0-1-\d+';\nCHANGE MASTER TO master_use_gtid = slave_pos;\n$/);
    const prepare = await run([HB, "prepare", dest], { timeoutMs: 300_000 });
    expect(prepare.code).toBe(0);

    await using fresh = await startMariaDB({ datadir: dest, binlog: false, serverId: 3, extraArgs: ["--skip-slave-start"] });
    await fresh.query("RESET SLAVE ALL");
    const [setPos] = slaveInfo.split("\n");
    await fresh.query(setPos!.replace(/;$/, ""));
    await replicate(fresh, sourcePort);
    await Bun.sleep(1000);
    await load.stop();
    await caughtUp(source, fresh);
    const [want, got] = await Promise.all([checksumAll(source), checksumAll(fresh)]);
    expect(got).toEqual(want);
    expect(want.length).toBe(2);
  }, 600_000);
});
