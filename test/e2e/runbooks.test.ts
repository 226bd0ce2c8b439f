// The README's runbooks, run literally: every ```sh runbook block, in order, by bash, against a real server
// (systemctl here is a small script that starts and stops that server, as the unit would).
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run, SHIM, tempDir } from "../helpers/harness";

const blocks = [...readFileSync(join(ROOT, "README.md"), "utf8").matchAll(/```sh runbook\n([\s\S]*?)```/g)].map((m) => m[1]!);
const tmp = tempDir("runbooks");
const bin = join(tmp.path, "bin");
const env = {
  PATH: `${bin}:${join(ROOT, "dist")}:${process.env.PATH}`,
  SOCKET: join(tmp.path, "mysqld.sock"),
  BACKUPS: join(tmp.path, "backups"),
  DATADIR: join(tmp.path, "data"),
  RUN: join(tmp.path, "run"),
  SHIM,
  MYSQL_PWD: "backup-pw",
};
const sql = (q: string) => run(["mariadb", `--socket=${env.SOCKET}`, "-uroot", "-N", "-e", q], { env: { MYSQL_PWD: undefined } });

afterAll(async () => {
  await run(["bash", "-c", "systemctl stop mariadb || true"], { env });
  tmp[Symbol.dispose]();
});

test("the README has the runbooks this test runs", () => {
  expect(blocks.length).toBe(2);
});

test("nightly backups with retention, then a restore of the newest, exactly as the README says", async () => {
  mkdirSync(bin);
  mkdirSync(env.BACKUPS);
  mkdirSync(env.RUN);
  writeFileSync(
    join(bin, "systemctl"),
    `#!/bin/bash
# stands for the server's unit: start/stop mariadbd on $DATADIR with the shim preloaded
case "$1" in
  start)
    LD_PRELOAD="$SHIM" nohup mariadbd --no-defaults --datadir="$DATADIR" --socket="$SOCKET" --pid-file="$RUN/pid" \\
      --log-error="$RUN/server.err" --skip-networking --user=root --log-bin=binlog --server-id=1 \\
      --innodb-buffer-pool-size=128M --innodb-log-file-size=64M >/dev/null 2>&1 &
    for i in $(seq 600); do env -u MYSQL_PWD mariadb --socket="$SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1 && exit 0; sleep 0.1; done
    exit 1 ;;
  stop)
    pid=$(cat "$RUN/pid" 2>/dev/null) || exit 0
    kill "$pid" 2>/dev/null; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done ;;
esac
`,
    { mode: 0o755 },
  );
  const install = await run(["mariadb-install-db", "--no-defaults", `--datadir=${env.DATADIR}`, "--user=root", "--auth-root-authentication-method=normal", "--innodb-log-file-size=64M"], { timeoutMs: 120_000 });
  expect(install.code).toBe(0);
  expect((await run([join(bin, "systemctl"), "start", "mariadb"], { env })).code).toBe(0);
  for (const q of [
    "CREATE USER backup@localhost IDENTIFIED BY 'backup-pw'",
    "GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO backup@localhost",
    "CREATE DATABASE d",
    "CREATE TABLE d.t (id INT PRIMARY KEY) ENGINE=InnoDB",
  ])
    expect((await sql(q)).code).toBe(0);

  for (let night = 1; night <= 8; night++) {
    expect((await sql(`INSERT INTO d.t VALUES (${night})`)).code).toBe(0);
    const r = await run(["bash", "-c", blocks[0]!], { env, timeoutMs: 120_000 });
    if (r.code !== 0) console.error(r.stderr);
    expect(r.code).toBe(0);
    await Bun.sleep(1100); // the backup's name has one-second resolution
  }
  const kept = readdirSync(env.BACKUPS).filter((n) => !n.endsWith(".json"));
  expect(kept.length).toBe(7);
  const newest = kept.sort().at(-1)!;
  expect(JSON.parse(readFileSync(join(env.BACKUPS, `${newest}.json`), "utf8")).lockTimeMs).toBeGreaterThanOrEqual(0);

  expect((await sql("INSERT INTO d.t VALUES (99)")).code).toBe(0); // after the newest backup: not restored
  const restore = await run(["bash", "-c", blocks[1]!], { env, timeoutMs: 120_000 });
  if (restore.code !== 0) console.error(restore.stderr);
  expect(restore.code).toBe(0);
  expect(existsSync(`${env.DATADIR}.before-restore`)).toBe(true);
  expect((await sql("SELECT GROUP_CONCAT(id ORDER BY id) FROM d.t")).stdout.trim()).toBe("1,2,3,4,5,6,7,8");
}, 300_000);
