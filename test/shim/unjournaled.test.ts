// Paths a capture leaves out (src/capture/unjournaled.ts passes the binlog's, excluded tables' and the like):
// their changes are not journaled, a `*` entry covers the names in its directory that start so and nothing
// below them, and a file renamed from such a name into a kept one comes in as from outside, its later writes
// journaled through the descriptor the server already had open.
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { captured } from "../helpers/capture";
import { tempDir } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

const ident = (path: string) => Bun.spawnSync(["stat", "-c", "%d:%i", path]).stdout.toString().trim();

describe("unjournaled paths", () => {
  test("left out from the first record, and a rename out of them is a file from outside", async () => {
    await using tmp = tempDir("shim-unjournaled");
    const dir = join(realpathSync(tmp.path), "data");
    mkdirSync(dir);
    mkdirSync(join(dir, "binlog.0sub"));
    for (const f of ["binlog.000001", "binlog.index", "binlog.0sub/x", "t2.ibd", "t20.ibd", "keep.ibd"]) writeFileSync(join(dir, f), "0123456789");
    const t2 = ident(join(dir, "t2.ibd"));
    await using s = await Scribbler.start();
    await s.ok(`hold ${dir}/t2.ibd`); // opened before the capture, as the server keeps its tablespaces open
    const unjournaled = [`${dir}/binlog.0*`, `${dir}/binlog.index`, `${dir}/t2.ibd`];
    const { events, records } = await captured(
      s,
      dir,
      join(tmp.path, "journal"),
      async () => {
        await s.ok(`write ${dir}/binlog.000001 3 secret`);
        await s.ok(`append ${dir}/binlog.000002 secret`); // a new binlog: its BIND, none of its bytes
        await s.ok(`append ${dir}/binlog.index secret`);
        await s.ok(`truncate ${dir}/binlog.000001 2`);
        await s.ok("hwrite 0 secret");
        await s.ok(`write ${dir}/binlog.0sub/x 0 below`); // a '*' does not reach into a directory
        await s.ok(`write ${dir}/t20.ibd 0 kept`); // exact names are exact
        await s.ok(`write ${dir}/keep.ibd 0 kept`);
        await s.ok(`rename ${dir}/t2.ibd ${dir}/t3.ibd`); // an ALTER's rename into a table the backup keeps
        await s.ok("hwrite 4 after");
      },
      undefined,
      unjournaled,
    );
    const writes = records.filter((r) => r.type === 1 || r.type === 2).map((r) => `${r.type === 1 ? "write" : "trunc"} ${r.ident} ${r.data}`);
    expect(writes).toEqual([
      `write ${ident(join(dir, "binlog.0sub/x"))} below`,
      `write ${ident(join(dir, "t20.ibd"))} kept`,
      `write ${ident(join(dir, "keep.ibd"))} kept`,
      `write ${t2} after`,
    ]);
    expect(records.some((r) => r.data.includes("secret"))).toBe(false);
    const names = events.map((e) => `${e.bind ? "bind" : "unbind"} ${e.name}${e.isNew ? " new" : ""}${e.outside ? " outside" : ""}`);
    expect(names).toEqual(["bind binlog.000002 new", "unbind t2.ibd", "bind t3.ibd outside"]);
    expect(events.at(-1)!.ident).toBe(t2);
  });
});
