// hb warns of a disagreement between the server's DDL log and the journal only when it can mean a wrong
// backup (src/ddl/disagreements.ts); --json lists every disagreement. Both under a DDL storm.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ddlStorm } from "../helpers/ddl-storm";
import { HB, tempDir, testEnv } from "../helpers/harness";
import { sysbenchPrepare } from "../helpers/load";
import { startMariaDB, type Server } from "../helpers/mariadb";

/** hb's warning lines: consola prints "WARN" with its fancy reporter, "[warn]" with the basic one (CI=true). */
const warnings = (stderr: string) => stderr.match(/^\s*(WARN|\[warn\])\s.*$/gm) ?? [];

/** Runs `hb backup --json` under a DDL storm, and `during` once the capture began. */
async function backupDuringStorm(server: Server, during: string) {
  await using tmp = tempDir("ddl-warnings");
  const storm = await ddlStorm(server, { pauseMs: 5 });
  const hb = Bun.spawn([HB, "backup", "--socket", server.socket, "--user", "root", "--throttle", "16M", "--json", join(tmp.path, "b")], {
    env: testEnv,
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = hb.stderr.getReader();
  let err = "";
  while (!err.includes("capture began")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`hb ended early: ${err}`);
    err += new TextDecoder().decode(value);
  }
  await server.query(during);
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) err += new TextDecoder().decode(r.value);
  })();
  const [out, code] = await Promise.all([new Response(hb.stdout).text(), hb.exited, drained]);
  const statements = await storm.stop();
  return { code, stderr: err, result: JSON.parse(out || "{}"), statements };
}

test("under a DDL storm a healthy backup warns of nothing, and --json still lists where the two logs disagree", async () => {
  await using server = await startMariaDB({ binlog: true });
  await sysbenchPrepare(server, { tables: 2, rows: 20_000 });
  await server.query("CREATE DATABASE d");
  await server.query("CREATE TABLE d.i (id INT PRIMARY KEY, v INT)");
  // Logged DDL that changes no table file: the server's log has it, the journal cannot.
  const { code, stderr, result, statements } = await backupDuringStorm(server, "CREATE TRIGGER d.tr BEFORE INSERT ON d.i FOR EACH ROW SET NEW.v = 1");
  expect(code).toBe(0);
  expect(statements.length).toBeGreaterThan(20); // DDL ran all through the backup
  expect(result.ddl).toBeGreaterThan(20);
  expect(result.ddlDisagreements).toContain("d.tr: in the server's DDL log, no file of it changed in the journal");
  expect(warnings(stderr)).toEqual([]);
}, 180_000);

test("a table's file made in a database directory without DDL is warned of", async () => {
  await using server = await startMariaDB({ binlog: true });
  await sysbenchPrepare(server, { tables: 2, rows: 20_000 });
  await server.query("CREATE DATABASE d");
  // The server writes a file named like a table's, and logs no DDL: the backup lock would not have held it off.
  const { code, stderr, result } = await backupDuringStorm(server, `SELECT 'not a table' INTO OUTFILE '${join(server.datadir, "d", "fake.frm")}'`);
  expect(code).toBe(0);
  expect(result.ddlDisagreements).toContain("d.fake: changed in the journal, not in the server's DDL log");
  const warned = warnings(stderr);
  expect(warned).toHaveLength(1);
  expect(warned[0]).toContain("DDL log: d.fake: changed in the journal, not in the server's DDL log");
}, 180_000);
