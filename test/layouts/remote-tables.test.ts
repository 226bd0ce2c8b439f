// Tables with DATA DIRECTORY / INDEX DIRECTORY: refused before (exit 2), and partitions with DATA DIRECTORY,
// or such a table created during the backup, were silently left out. Through the layout case: InnoDB, a
// partitioned table, MyISAM and Aria, and a second set created while the backup runs; restore keeps them in the
// datadir (--tables-in-datadir), the source's own files being still where restore would put them back.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run } from "../helpers/harness";
import { runLayoutCase, type LayoutCase } from "../helpers/layout-case";
import { checkServerOnPrepared, databasesOf } from "./prepared-dest";
import { createAndFill, makeRemoteDirs, writeRemote } from "./remote-tables";

function layout(): LayoutCase {
  let dir = "";
  let databases: string[] = [];
  let created = false;
  return {
    files: (d) => {
      dir = d;
      makeRemoteDirs(d);
    },
    setup: async (db) => {
      await createAndFill(db, dir);
      databases = await databasesOf(db);
    },
    write: async (db, i) => {
      if (i === 40) {
        await createAndFill(db, dir, "_born");
        created = true;
      }
      await writeRemote(db, i, created && i % 2 ? "_born" : "");
    },
    restoreArgs: () => ["--tables-in-datadir"],
    afterPrepare: async (dest) => {
      await checkServerOnPrepared(dest, databases);
      const placed = JSON.parse(readFileSync(join(dest, "hb_layout.json"), "utf8")).placed as { path: string; origin: string; kind: string }[];
      const remote = placed.filter((p) => p.kind === "remote").map((p) => `${p.path} ${p.origin}`).sort();
      expect(remote).toEqual(
        [
          `lay/ar.MAD ${dir}/aria/ar.MAD`,
          `lay/ar.MAI ${dir}/aria/ar.MAI`,
          `lay/my.MYD ${dir}/myisam/my.MYD`,
          `lay/my.MYI ${dir}/myisam/my.MYI`,
          `lay/parts#P#p1.ibd ${dir}/part/lay/parts#P#p1.ibd`,
          `lay/parts#P#p2.ibd ${dir}/part/lay/parts#P#p2.ibd`,
          `lay/remote.ibd ${dir}/ext/lay/remote.ibd`,
          ...(created ? [`lay/ar_born.MAD ${dir}/aria/ar_born.MAD`, `lay/ar_born.MAI ${dir}/aria/ar_born.MAI`, `lay/my_born.MYD ${dir}/myisam/my_born.MYD`, `lay/my_born.MYI ${dir}/myisam/my_born.MYI`,
            `lay/parts_born#P#p1.ibd ${dir}/part/lay/parts_born#P#p1.ibd`, `lay/parts_born#P#p2.ibd ${dir}/part/lay/parts_born#P#p2.ibd`,
            `lay/remote_born.ibd ${dir}/ext/lay/remote_born.ibd`] : []),
        ].sort(),
      );
    },
  };
}

describe("layout: tables with DATA DIRECTORY / INDEX DIRECTORY", () => {
  test("hb", async () => {
    const r = await runLayoutCase(layout());
    expect(r.writes).toBeGreaterThan(40);
    expect(r.tables).toEqual(expect.arrayContaining(["lay.remote", "lay.parts", "lay.my", "lay.ar"]));
  }, 240_000);
  test("hb, prepare killed while it places the table files, twice, then run again", async () => {
    const c = layout();
    c.beforePrepare = async (_dir, dest) => {
      for (const kill of ["place:3", "place:2"]) {
        const killed = await run([HB, "prepare", dest], { env: { HB_PREPARE_KILL: kill }, timeoutMs: 120_000 });
        expect(killed.signal).toBe("SIGKILL");
      }
    };
    const r = await runLayoutCase(c); // its own prepare finishes the job: the checks after it are the same
    expect(r.tables).toEqual(expect.arrayContaining(["lay.remote", "lay.parts", "lay.my", "lay.ar"]));
  }, 240_000);
  // mariabackup keeps the .isl files in its prepared backup and has no way to restore remote tables anywhere
  // but where the source had them: beside the source (this case) its --copy-back stops at the first one.
  test("mariabackup (control) cannot restore beside the source", async () => {
    const { afterPrepare: _, restoreArgs: __, ...c } = layout();
    await expect(runLayoutCase({ ...c, control: "mariabackup" })).rejects.toThrow(/mariabackup --copy-back exited 1[\s\S]*File exists/);
  }, 240_000);
});
