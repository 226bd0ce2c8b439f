// aria_log_dir_path outside the datadir: the Aria log and its control file are captured, come to DEST's top
// level, and go where the target's option file says.
import { describe, expect, test } from "bun:test";
import { runLayoutCase } from "../helpers/layout-case";
import { directoryCase, sourceOnly } from "./directories";

const paths = { "aria-log-dir-path": "aria" };

describe("layout: Aria log outside the datadir", () => {
  test("hb", async () => {
    const r = await runLayoutCase(directoryCase(paths));
    expect(r.writes).toBeGreaterThan(0);
    expect(r.tables).toContain("lay.aria");
  }, 240_000);
  test("mariabackup (control)", async () => {
    expect((await runLayoutCase({ ...sourceOnly(paths), control: "mariabackup" })).writes).toBeGreaterThan(0);
  }, 240_000);
});
