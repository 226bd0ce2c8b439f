// Server options of the layout cases, and the key material of the encryption cases: a file_key_management key
// file, encrypted with a file key, both in the case's directory (as a DBA keeps them: outside the datadir).
import { expect } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { snapshotFiles } from "../helpers/file-snapshot";
import { run } from "../helpers/harness";

export const KEY_FILE = "keys.enc";
export const FILE_KEY = "filekey";

/** Writes keys.enc (keys 1 and 2, AES-256-CBC under the file key, as the plugin reads it) and filekey into dir. */
export async function writeKeyFiles(dir: string, fileKey = "secret-file-key"): Promise<void> {
  const plain = join(dir, "keys.txt");
  writeFileSync(plain, `1;${"a1".repeat(32)}\n2;${"b2".repeat(32)}\n`, { mode: 0o600 });
  writeFileSync(join(dir, FILE_KEY), `${fileKey}\n`, { mode: 0o600 });
  const r = await run(["openssl", "enc", "-aes-256-cbc", "-md", "sha1", "-pass", `file:${join(dir, FILE_KEY)}`, "-in", plain, "-out", join(dir, KEY_FILE)]);
  if (r.code !== 0) throw new Error(`openssl enc failed: ${r.stderr}`);
  await run(["rm", plain]);
}

/** The server options of file_key_management with the key files in `dir`. */
export const keyManagementArgs = (dir: string) => [
  "--plugin-load-add=file_key_management",
  `--file-key-management-filename=${join(dir, KEY_FILE)}`,
  `--file-key-management-filekey=FILE:${join(dir, FILE_KEY)}`,
  "--file-key-management-encryption-algorithm=aes_cbc",
];

/** Everything at rest encrypted: tables, redo, Aria, binlog, temporary files. */
export const ENCRYPT_ALL = [
  "--innodb-encrypt-tables=ON",
  "--innodb-encrypt-log=ON",
  "--aria-encrypt-tables=ON",
  "--encrypt-binlog=ON",
  "--encrypt-tmp-files=ON",
];

/** page_compressed tables compressed by the lz4 provider plugin. */
export const LZ4 = ["--plugin-load-add=provider_lz4", "--innodb-compression-algorithm=lz4"];

/** No file anywhere in DEST (its copies in .hb included) holds any of `secrets`' bytes. */
export function expectNoKeyMaterial(dest: string, secrets: Buffer[]): void {
  for (const [path, entry] of snapshotFiles([dest])) {
    if (!entry.startsWith("file ")) continue;
    const bytes = readFileSync(path);
    expect({ path, holds: secrets.map((s) => bytes.includes(s)) }).toEqual({ path, holds: secrets.map(() => false) });
  }
}
