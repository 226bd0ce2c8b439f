// A server started directly on a prepared backup (`mv DEST /var/lib/mysql`, with backup-my.cnf's options): it
// lists exactly the source's databases, mariadb-dump --all-databases and mariadb-upgrade run clean on it, its
// log has no [ERROR], DEST holds no pointer out of itself (.isl, symlink) and no hb_root<N>, and hb verify
// finds it as prepare left it.
import { expect } from "bun:test";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";

/** backup-my.cnf's [mysqld] lines as options (startMariaDB starts with --no-defaults). */
function backupMyCnfArgs(dest: string): string[] {
  const lines = readFileSync(join(dest, "backup-my.cnf"), "utf8").split("\n");
  return lines.filter((l) => /^[a-z_]+=/.test(l)).map((l) => `--${l}`);
}

/** Paths in `dir` that point elsewhere: .isl files and symlinks. */
export function pointers(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink() || e.name.endsWith(".isl")) out.push(path);
    else if (e.isDirectory()) out.push(...pointers(dir, path));
  }
  return out;
}

export async function checkServerOnPrepared(dest: string, databases: string[]): Promise<void> {
  expect(pointers(dest)).toEqual([]);
  expect(readdirSync(dest).filter((n) => n.startsWith("hb_root"))).toEqual([]);
  const verify = await run([HB, "verify", dest]);
  expect({ code: verify.code, stderr: verify.stderr.slice(-2000) }).toMatchObject({ code: 0 });
  await using scratch = tempDir("hb-on-dest");
  const datadir = join(scratch.path, "mysql");
  expect((await run(["cp", "-a", dest, datadir])).code).toBe(0); // the move, without using up DEST
  expect(lstatSync(datadir).isDirectory()).toBe(true);
  await using server = await startMariaDB({ datadir, binlog: false, shim: false, serverId: 3, extraArgs: backupMyCnfArgs(dest) });
  const rows = await server.query<{ Database: string }[]>("SHOW DATABASES");
  expect(rows.map((r) => r.Database).sort()).toEqual([...databases].sort());
  const dump = await run(["mariadb-dump", `--socket=${server.socket}`, "--user=root", "--all-databases", "--result-file=/dev/null"]);
  expect({ code: dump.code, stderr: dump.stderr }).toEqual({ code: 0, stderr: "" });
  const upgrade = await run(["mariadb-upgrade", `--socket=${server.socket}`, "--user=root", "--force"], { timeoutMs: 120_000 });
  expect({ code: upgrade.code, stderr: upgrade.stderr.replace(/^.*(deprecated|Warning).*\n?/gm, "") }).toEqual({ code: 0, stderr: "" });
  await server.stop();
  expect(readFileSync(server.errorLog, "utf8").split("\n").filter((l) => l.includes("[ERROR]"))).toEqual([]);
}

/** The source's databases, read at the end of a case's setup. */
export async function databasesOf(db: { query: (sql: string) => Promise<unknown> }): Promise<string[]> {
  const [rows] = (await db.query("SHOW DATABASES")) as [{ Database: string }[]];
  return rows.map((r) => r.Database);
}
