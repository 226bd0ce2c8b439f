// What the S3 tests share: a Swift with a bucket, hb run against it (credentials in the environment, the
// store or a fault proxy as --s3-endpoint), key files, incompressible data, and the replica oracle's check
// from the binlog position a manifest records.
import { chmodSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { applyBinlogFrom } from "../helpers/binlog";
import { HB, type RunResult, run } from "../helpers/harness";
import { checksumAll, type Server, startMariaDB, type TableChecksum } from "../helpers/mariadb";
import type { Swift } from "../helpers/swift";

/** Parts of 5 MiB (S3's smallest), objects of two parts: a few MB of backup gives several multipart objects. */
export const SMALL_OBJECTS = ["--s3-part-size", "5M", "--s3-object-size", "10M", "--s3-parallel", "3"];

export function hbWith(swift: Swift) {
  return (args: string[], o: { endpoint?: string; timeoutMs?: number } = {}): Promise<RunResult> =>
    run([HB, ...args.slice(0, 1), "--s3-endpoint", o.endpoint ?? swift.endpoint, ...args.slice(1)], { env: swift.env, timeoutMs: o.timeoutMs ?? 300_000 });
}

/** A 32-byte key in a file only its owner reads. */
export function keyFile(dir: string, name = "key"): string {
  const file = join(dir, name);
  writeFileSync(file, randomBytes(32));
  chmodSync(file, 0o600);
  return file;
}

/** `mb` MiB of random bytes in InnoDB rows: a backup that compression does not shrink. */
export async function fillRandom(server: Server, mb: number): Promise<void> {
  await server.query("CREATE DATABASE IF NOT EXISTS s3data");
  await server.query("CREATE TABLE IF NOT EXISTS s3data.blobs (id INT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB");
  for (let i = 0; i < mb; i++) await server.query("INSERT INTO s3data.blobs (b) VALUES (?)", [randomBytes(1024 * 1024)]);
}

/** The manifest's binlog position of a backup, as hb list --json reports it. */
export async function listed(hb: ReturnType<typeof hbWith>, prefix: string) {
  const list = await hb(["list", "--json", prefix]);
  if (list.code !== 0) throw new Error(`hb list failed: ${list.stderr}`);
  return JSON.parse(list.stdout).backups as { name: string; complete: boolean; bytes: number; objects: number; uploads: number; binlog?: { file: string; position: string } }[];
}

/** Starts a server on a restored datadir, rolls it forward from `binlog`, and returns both sides' checksums. */
export async function rollForward(source: Server, datadir: string, binlog: { file: string; position: string }): Promise<{ want: TableChecksum[]; got: TableChecksum[]; before: TableChecksum[] }> {
  await using replica = await startMariaDB({ datadir, binlog: false, serverId: 2, shim: false });
  const before = await checksumAll(replica);
  await applyBinlogFrom(source, replica, binlog.file, binlog.position);
  return { want: await checksumAll(source), got: await checksumAll(replica), before };
}
