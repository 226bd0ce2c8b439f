// The pure parts of docs/layout.md: innodb_data_file_path in DEST, backup-my.cnf's paths, the capture roots of
// a layout, and where restore puts each kind of file.
import { describe, expect, test } from "bun:test";
import { dataFilePathInDest, dataFilesOf, layoutRoots, type SourceLayout } from "../../src/discover/layout";
import { formatBackupMyCnf } from "../../src/metadata/xtrabackup";
import { placementOf } from "../../src/restore/placement";
import type { LayoutRecord } from "../../src/discover/record";

const layout: SourceLayout = {
  datadir: "/var/lib/mysql",
  innodbDataHomeDir: "/var/lib/mysql",
  innodbLogGroupHomeDir: "/redo",
  innodbUndoDirectory: "/undo",
  ariaLogDir: "/var/lib/mysql",
  dataFiles: ["/var/lib/mysql/ibdata1", "/abs/ibdata2"],
};

describe("layout", () => {
  test("innodb_data_file_path in DEST: base names, sizes and attributes kept", () => {
    expect(dataFilePathInDest("ibdata1:12M;/abs/dir/ibdata2:10M:autoextend:max:500M")).toBe("ibdata1:12M;ibdata2:10M:autoextend:max:500M");
    expect(dataFilesOf("ibdata1:12M;/abs/ibdata2:1G:autoextend", "/home")).toEqual(["/home/ibdata1", "/abs/ibdata2"]);
    expect(() => dataFilesOf("ibdata1:12M;/abs/ibdata1:12M", "/home")).toThrow(/two files called ibdata1/);
  });

  test("backup-my.cnf names nothing outside DEST", () => {
    const cnf = formatBackupMyCnf({ innodb_data_file_path: "ibdata1:12M;/abs/ibdata2:12M:autoextend", innodb_undo_directory: "/undo", innodb_undo_tablespaces: "3" });
    expect(cnf).toContain("innodb_data_file_path=ibdata1:12M;ibdata2:12M:autoextend\n");
    for (const k of ["innodb_data_home_dir", "innodb_log_group_home_dir", "innodb_undo_directory", "aria_log_dir_path"]) expect(cnf).toContain(`\n${k}=./\n`);
    expect(cnf).not.toContain("/abs");
    expect(cnf).not.toContain("/undo");
  });

  test("roots: the datadir first, each other directory once, none inside another", () => {
    const remote = [{ link: "db/t.isl", target: "/ext/db/t.ibd", via: "isl" as const }, { link: "db/u.isl", target: "/ext/db/u.ibd", via: "isl" as const }];
    expect(layoutRoots({ ...layout, innodbUndoDirectory: "/var/lib/mysql/undo" }, remote)).toEqual(["/var/lib/mysql", "/abs", "/redo", "/ext/db"]);
    expect(() => layoutRoots({ ...layout, innodbUndoDirectory: "/var/lib" }, [])).toThrow(/contains its datadir/);
  });

  test("restore: by the target's option file, else where the source had them", () => {
    const record: LayoutRecord = {
      source: layout,
      placed: [
        { path: "ibdata1", origin: "/var/lib/mysql/ibdata1", kind: "innodb-data" },
        { path: "ibdata2", origin: "/abs/ibdata2", kind: "innodb-data" },
        { path: "ib_logfile0", origin: "/redo/ib_logfile0", kind: "innodb-redo" },
        { path: "undo001", origin: "/undo/undo001", kind: "innodb-undo" },
        { path: "db/t.ibd", origin: "/ext/db/t.ibd", kind: "remote", via: "isl", link: "db/t.isl" },
      ],
    };
    const asSource = placementOf(record, "/new", undefined, false);
    expect(["ibdata1", "ibdata2", "ib_logfile0", "undo001"].map((n) => asSource.dirOf(n))).toEqual([undefined, "/abs", "/redo", "/undo"]);
    expect(asSource.remote).toEqual([{ path: "db/t.ibd", to: "/ext/db/t.ibd", link: { path: "db/t.isl", via: "isl" } }]);
    const wants = { "innodb-undo-directory": "/new-undo", "innodb-data-file-path": "ibdata1:12M;/new-abs/ibdata2:12M" };
    const asTarget = placementOf(record, "/new", wants, true);
    expect(["ibdata1", "ibdata2", "ib_logfile0", "undo001"].map((n) => asTarget.dirOf(n))).toEqual([undefined, "/new-abs", undefined, "/new-undo"]);
    expect(asTarget.dirs.sort()).toEqual(["/new-abs", "/new-undo"]);
    expect(asTarget.remote).toEqual([]);
  });
});
