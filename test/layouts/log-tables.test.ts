// log_output=TABLE with the general and slow query logs on: mysql.general_log and mysql.slow_log are CSV
// tables the server writes all through the backup. They must come back without "marked as crashed".
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const layout: LayoutCase = {
  serverArgs: () => ["--log-output=TABLE", "--general-log=ON", "--slow-query-log=ON", "--long-query-time=0"],
  ...both(rowTable("inno", "ENGINE=InnoDB"), rowTable("csv_neighbour", "ENGINE=MyISAM")),
};

describe("layout: log tables (log_output=TABLE)", () => {
  test("hb", async () => {
    const r = await runLayoutCase(layout);
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("mysql.general_log");
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
