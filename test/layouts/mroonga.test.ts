// Mroonga (ha_mroonga) FULLTEXT tables written through the backup. Groonga writes its files through memory
// maps, not write(2).
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const layout: LayoutCase = {
  serverArgs: () => ["--plugin-load-add=ha_mroonga"],
  ...both(rowTable("mro", "ENGINE=Mroonga", ", FULLTEXT(pad)"), rowTable("inno", "ENGINE=InnoDB")),
};

describe("layout: Mroonga under writes", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
