// A datadir created with 4K InnoDB pages (--innodb-page-size=4k from mariadb-install-db on), with InnoDB and
// Aria tables written through the backup.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const PAGE_4K = ["--innodb-page-size=4k"];
const layout: LayoutCase = {
  installArgs: PAGE_4K,
  serverArgs: () => PAGE_4K,
  ...both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria")),
};

describe("layout: 4K pages", () => {
  test("hb", async () => {
    const r = await runLayoutCase(layout);
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("lay.inno");
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
