// The source's buffer-pool dump (ib_buffer_pool: which pages to read back in after a restart) is part of the
// backup so a restored server warms up like the source. The throwaway server of prepare's crash recovery must
// neither load it (wasted reads) nor replace it with its own pool's pages at shutdown.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir, waitFor } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";

test("prepare with recovery leaves the source's buffer-pool dump as it was", async () => {
  await using source = await startMariaDB();
  await using tmp = tempDir("pool-dump");
  await source.query("CREATE DATABASE d");
  await source.query("CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB");
  await source.query("INSERT INTO d.t SELECT seq, REPEAT('x', 200) FROM test.seq_1_to_20000");
  await source.query("SET GLOBAL innodb_buffer_pool_dump_now = ON");
  const dumpStatus = async () =>
    (await source.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_dump_status'"))[0]!.Value;
  await waitFor(async () => /dump.*completed/i.test(await dumpStatus()), { what: "the buffer-pool dump" });
  const dumped = readFileSync(join(source.datadir, "ib_buffer_pool"), "utf8");
  expect(dumped.split("\n").length).toBeGreaterThan(100); // the table's pages are in it

  const dest = join(tmp.path, "b");
  const b = await run([HB, "backup", "--socket", source.socket, "--user", "root", dest], { timeoutMs: 120_000 });
  expect(b.code).toBe(0);
  const p = await run([HB, "prepare", "--recover", dest], { timeoutMs: 120_000 });
  expect(p.stderr).toContain("crash recovery done");
  expect(p.code).toBe(0);
  expect(readFileSync(join(dest, "ib_buffer_pool"), "utf8")).toBe(dumped);
}, 120_000);
