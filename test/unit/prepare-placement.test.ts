// prepare's placement step (src/prepare/placement.ts) on hand-made trees: system files come to the top level
// from a root outside the datadir and from a directory inside it, remote table files replace their .isl or
// symlink, what else an extra root held is dropped, and a pointer to a file the backup lacks fails prepare.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/harness";
import { placeServerFiles } from "../../src/prepare/placement";
import { writeLayoutRecord } from "../../src/discover/record";
import type { SourceLayout } from "../../src/discover/layout";

const SRC = "/src/data";
const layout: SourceLayout = {
  datadir: SRC,
  innodbDataHomeDir: `${SRC}/ib`,
  innodbLogGroupHomeDir: `${SRC}/ib`,
  innodbUndoDirectory: "/undo",
  ariaLogDir: SRC,
  dataFiles: [`${SRC}/ib/ibdata1`],
};
const roots = [
  { dest: "", source: SRC, ident: "1:1" },
  { dest: "hb_root1", source: "/undo", ident: "1:2" },
  { dest: "hb_root2", source: "/ext/db", ident: "1:3" },
  { dest: "hb_root3", source: "/my", ident: "1:4" },
];

function tree(dest: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dest, path, ".."), { recursive: true });
    writeFileSync(join(dest, path), text);
  }
}

describe("prepare: placement", () => {
  test("every file of the server in DEST's standard places, recorded with its origin", () => {
    using t = tempDir("hb-placement");
    const dest = t.path;
    tree(dest, {
      "ib/ibdata1": "sys", "ib/ib_logfile0": "redo", "aria_log_control": "a",
      "hb_root1/undo001": "u1", "hb_root1/notes.txt": "not the server's",
      "db/t.isl": "/ext/db/t.ibd", "db/t.frm": "f", "hb_root2/t.ibd": "remote",
      "db/m.frm": "f", "hb_root3/m.MYD": "myd",
    });
    symlinkSync("/my/m.MYD", join(dest, "db", "m.MYD"));
    writeLayoutRecord(dest, { source: layout });
    const placed = placeServerFiles(dest, roots)!;
    expect(readdirSync(dest).sort()).toEqual(["aria_log_control", "db", "hb_layout.json", "ib_logfile0", "ibdata1", "undo001"]);
    expect(readdirSync(join(dest, "db")).sort()).toEqual(["m.MYD", "m.frm", "t.frm", "t.ibd"]);
    expect(readFileSync(join(dest, "db", "t.ibd"), "utf8")).toBe("remote");
    expect(readFileSync(join(dest, "db", "m.MYD"), "utf8")).toBe("myd");
    expect(placed.map((p) => `${p.path} ${p.origin} ${p.kind}`).sort()).toEqual([
      `aria_log_control ${SRC}/aria_log_control aria-log`,
      "db/m.MYD /my/m.MYD remote",
      "db/t.ibd /ext/db/t.ibd remote",
      `ib_logfile0 ${SRC}/ib/ib_logfile0 innodb-redo`,
      `ibdata1 ${SRC}/ib/ibdata1 innodb-data`,
      "undo001 /undo/undo001 innodb-undo",
    ]);
    expect(JSON.parse(readFileSync(join(dest, "hb_layout.json"), "utf8")).placed).toEqual(placed);
  });

  test("an .isl naming a file the backup does not hold fails prepare (exit 10)", () => {
    using t = tempDir("hb-placement");
    tree(t.path, { ibdata1: "sys", "db/t.isl": "/elsewhere/db/t.ibd" });
    writeLayoutRecord(t.path, { source: { ...layout, innodbDataHomeDir: SRC, innodbLogGroupHomeDir: SRC, dataFiles: [`${SRC}/ibdata1`] } });
    let error: unknown;
    try {
      placeServerFiles(t.path, roots);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: 10, message: expect.stringContaining("db/t.isl points at /elsewhere/db/t.ibd, which the backup does not hold") });
  });
});
