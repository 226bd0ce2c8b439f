// InnoDB committing without writing its redo at each commit (innodb_flush_log_at_trx_commit=0: the redo waits
// in the log buffer up to a second) and Aria beside it, under writes: what was committed at the lock must be
// on disk before the capture ends (FLUSH ENGINE LOGS under BLOCK_COMMIT), or the binlog replay from the
// backup's position misses those rows.
import { describe, expect, test } from "bun:test";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { both, rowTable } from "./tables";

const layout: LayoutCase = {
  serverArgs: () => ["--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"],
  ...both(rowTable("inno", "ENGINE=InnoDB"), rowTable("aria", "ENGINE=Aria")),
};

describe("layout: InnoDB redo written lazily (innodb_flush_log_at_trx_commit=0)", () => {
  test("hb", async () => {
    expect((await runLayoutCase(layout)).writes).toBeGreaterThan(0);
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...layout, control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
