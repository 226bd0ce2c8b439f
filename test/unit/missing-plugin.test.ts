// The recovery server's error log tells a missing plugin or key (exit 12) from a damaged backup (exit 10).
// The lines are MariaDB 10.11.19's, from the runs in test/layouts/ before prepare checked plugins first.
import { expect, test } from "bun:test";
import { missingPluginError } from "../../src/server/missing-plugin";

const REDO_KEY = `2026-12-08  0:58:24 0 [Note] InnoDB: File system buffers for log disabled (block size=4096 bytes)
2026-12-08  0:58:24 0 [ERROR] InnoDB: Obtaining redo log encryption key version 1 failed (4294967295). Maybe the key or the required encryption key management plugin was not found.
2026-12-08  0:58:24 0 [ERROR] InnoDB: Reading log encryption info failed; the log was created with MariaDB 10.11.19.
2026-12-08  0:58:24 0 [ERROR] Plugin 'InnoDB' registration as a STORAGE ENGINE failed.`;

const KEY_FILE = `2026-12-08  1:12:59 0 [ERROR] mariadbd: System key id 1 is missing at /keys/nokey1.enc line 1, column 1
2026-12-08  1:12:59 0 [ERROR] Plugin 'file_key_management' init function returned error.
2026-12-08  1:12:59 0 [ERROR] Plugin 'file_key_management' registration as a ENCRYPTION failed.
2026-12-08  1:12:59 0 [ERROR] InnoDB: cannot enable encryption, encryption plugin is not available`;

const DAMAGED = `2026-12-08  1:24:29 0 [ERROR] InnoDB: File './lay/lz.ibd' is corrupted
2026-12-08  1:24:29 0 [ERROR] Plugin 'InnoDB' registration as a STORAGE ENGINE failed.
2026-12-08  1:24:29 0 [ERROR] Unknown/unsupported storage engine: InnoDB`;

test("a redo log whose key is not available is a plugin error, naming the key", () => {
  const e = missingPluginError("crash recovery", REDO_KEY);
  expect(e?.exitCode).toBe(12);
  expect(e?.message).toContain("Obtaining redo log encryption key version 1 failed");
  expect(e?.hint).toContain("--defaults-extra-file");
});

test("a key file without the key is named first, before the plugin's failure", () => {
  expect(missingPluginError("crash recovery", KEY_FILE)?.message).toContain("System key id 1 is missing at /keys/nokey1.enc");
});

test("a corrupted tablespace is not a plugin error (InnoDB's own registration failure does not count)", () => {
  expect(missingPluginError("crash recovery", DAMAGED)).toBeUndefined();
});
