// BACKUP STAGE FLUSH closes the server's unused tables, and Aria's close fsyncs. The first fsync after a large
// copy waits until the copy has left the disk's write cache (~0.4 s per GB on the project's VM), and while the
// stage waits, so do new writes to non-transactional tables. So hb empties that cache itself before the stage.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";

const MIB = 1 << 20;

test("the copy is on disk before BACKUP STAGE FLUSH, which then takes milliseconds", async () => {
  await using server = await startMariaDB({ binlog: true });
  await using tmp = tempDir("flush-stage");
  await server.query("CREATE TABLE test.big (id INT PRIMARY KEY, pad LONGBLOB) ENGINE=InnoDB");
  const pad = Buffer.alloc(MIB, "x");
  for (let i = 0; i < 320; i++) await server.query("INSERT INTO test.big VALUES (?, ?)", [i, pad]);
  await run(["sync"]); // the fill's own writes out of the way: what is left in the cache is the copy's
  const slowLog = join(tmp.path, "slow.log");
  await server.query(`SET GLOBAL slow_query_log_file = '${slowLog}'`);
  await server.query("SET GLOBAL long_query_time = 0");
  await server.query("SET GLOBAL slow_query_log = 1");

  const r = await run([HB, "backup", "--json", "--socket", server.socket, "--user", "root", join(tmp.path, "b")], { env: { HB_DEBUG: "1" } });
  await server.query("SET GLOBAL slow_query_log = 0");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).bytesCopied).toBeGreaterThan(320 * MIB);

  const steps = [...(r.stdout + r.stderr).matchAll(/\+\d+ ms ([^\n@]+?)\s*$/gm)].map((m) => m[1]);
  const at = (s: string) => steps.indexOf(s);
  expect(at("copy on disk")).toBeGreaterThan(at("copied"));
  expect(at("FLUSH")).toBeGreaterThan(at("copy on disk"));

  // The server's own measure of the stage: 0.19 s on the project's VM without the sync before it, 0.008 s with.
  const flush = /# Query_time: ([\d.]+)[^\n]*\n(?:(?!# Query_time)[^\n]*\n)*?BACKUP STAGE FLUSH;/.exec(readFileSync(slowLog, "utf8"));
  expect(flush).not.toBeNull();
  expect(Number(flush![1])).toBeLessThan(0.05);
}, 120_000);
