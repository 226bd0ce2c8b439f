// A prepared DEST is a clean datadir (the xtrabackup habit: `mv DEST /var/lib/mysql`): a server started
// directly on it lists exactly the source's databases, mariadb-dump and mariadb-upgrade run clean on it, the
// journal is gone (kept as hb_journal.bin with --keep-journal), and hb verify still works.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { checksumAll, startMariaDB, type Server, type TableChecksum } from "../helpers/mariadb";

let source: Server;
let want: TableChecksum[];
let databases: string[];
const tmp = tempDir("prepared-datadir");

const showDatabases = async (s: Server) => ((await s.query("SHOW DATABASES")) as { Database: string }[]).map((r) => r.Database).sort();

async function prepared(name: string, prepareArgs: string[] = []): Promise<string> {
  const dest = join(tmp.path, name);
  expect((await run([HB, "backup", "--socket", source.socket, "--user", "root", dest])).code).toBe(0);
  const p = await run([HB, "prepare", ...prepareArgs, dest], { timeoutMs: 120_000 });
  if (p.code !== 0) console.error(p.stderr);
  expect(p.code).toBe(0);
  return dest;
}

beforeAll(async () => {
  source = await startMariaDB({ binlog: true });
  await source.query("CREATE DATABASE shop");
  await source.query("CREATE TABLE shop.orders (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
  await source.query("CREATE TABLE shop.notes (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria");
  await source.query("INSERT INTO shop.orders VALUES (1,'x'),(2,'y')");
  await source.query("INSERT INTO shop.notes VALUES (1,'x')");
  want = await checksumAll(source);
  databases = await showDatabases(source);
}, 120_000);
afterAll(async () => {
  await source?.[Symbol.asyncDispose]();
  tmp[Symbol.dispose]();
});

describe("a prepared DEST", () => {
  test("holds the datadir and hb's records as top-level files: no .hb, no journal; hb verify passes", async () => {
    const dest = await prepared("plain");
    const top = readdirSync(dest);
    expect(top).not.toContain(".hb");
    expect(top.filter((n) => n.startsWith("hb_")).sort()).toEqual(["hb_ddl.log", "hb_hashes.json", "hb_manifest.json", "hb_state.txt"]);
    expect(readFileSync(join(dest, "hb_state.txt"), "utf8").trim()).toBe("prepared");
    expect((await run([HB, "verify", dest])).code).toBe(0);
    expect((await run([HB, "prepare", dest])).stderr).toContain("already prepared");
    expect(existsSync(join(dest, ".hb"))).toBe(false); // the re-run did not bring it back
  }, 120_000);

  test("--keep-journal keeps the journal as hb_journal.bin", async () => {
    const dest = await prepared("kept", ["--keep-journal"]);
    expect(existsSync(join(dest, "hb_journal.bin"))).toBe(true);
    expect(existsSync(join(dest, ".hb"))).toBe(false);
    expect((await run([HB, "verify", dest])).code).toBe(0);
  }, 120_000);

  test("a server started directly on it lists exactly the source's databases; mariadb-dump and mariadb-upgrade run clean", async () => {
    const dest = await prepared("direct");
    await using server = await startMariaDB({ datadir: dest, binlog: false, shim: false, serverId: 2 });
    expect(await showDatabases(server)).toEqual(databases);
    expect(await checksumAll(server)).toEqual(want);
    const dump = await run(["mariadb-dump", `--socket=${server.socket}`, "--user=root", "--all-databases"], { timeoutMs: 60_000 });
    expect(dump.stderr).toBe("");
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain("CREATE TABLE `orders`");
    const upgrade = await run(["mariadb-upgrade", `--socket=${server.socket}`, "--user=root", "--force"], { timeoutMs: 120_000 });
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout + upgrade.stderr).not.toMatch(/\berror\b|#mysql50#|\bhb_/i); // "sys.statements_with_errors_or_warnings  OK" is fine
    expect(readFileSync(server.errorLog, "utf8")).not.toContain("[ERROR]");
  }, 240_000);
});
