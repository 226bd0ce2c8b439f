// hb backup to a real S3 store (Swift's s3api) under a write load, compressed and encrypted, and back: the
// restored server, rolled forward from the binlog position the manifest records, equals the source.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { sysbenchPrepare, sysbenchRun } from "../helpers/load";
import { type Server, startMariaDB } from "../helpers/mariadb";
import { type Swift, startSwift } from "../helpers/swift";
import { SMALL_OBJECTS, fillRandom, hbWith, keyFile, listed, rollForward } from "./fixture";

let swift: Swift;
let source: Server;
let hb: ReturnType<typeof hbWith>;

beforeAll(async () => {
  swift = await startSwift();
  await swift.createBucket("hbround");
  hb = hbWith(swift);
  source = await startMariaDB({ binlog: true });
  await sysbenchPrepare(source, { tables: 2, rows: 10_000 });
  await fillRandom(source, 24);
}, 120_000);
afterAll(async () => {
  await source?.stop();
  await swift?.stop();
});

describe("S3 round trip", () => {
  test("compressed and encrypted under load: listed complete, verified, restored equal to the source", async () => {
    await using tmp = tempDir("s3-round");
    const key = keyFile(tmp.path);
    const load = sysbenchRun(source, { test: "oltp_write_only", threads: 2 });
    await Bun.sleep(1000);
    const url = "s3://hbround/db1/full";
    const backup = await hb(["backup", "--socket", source.socket, "--user", "root", "--throttle", "10M", "--compress", "--encrypt-key-file", key, ...SMALL_OBJECTS, "--json", url]);
    await Bun.sleep(500); // the load goes on after the backup: the binlog must carry it
    const loadResult = await load.stop();
    if (backup.code !== 0) console.error(backup.stderr);
    expect(backup.code).toBe(0);
    expect(loadResult.transactions).toBeGreaterThan(500);
    const result = JSON.parse(backup.stdout);
    expect(result.backup.durationMs).toBeGreaterThan(1000); // the load overlapped the copy

    // Several objects, uploaded as multipart uploads (Swift gives them S3's multipart ETag), the manifest last.
    const objects = JSON.parse(await swift.aws("s3api", "list-objects-v2", "--bucket", "hbround", "--prefix", "db1/full/")).Contents.map((o: { Key: string }) => o.Key);
    expect(objects.length).toBe(result.objects + 1);
    expect(result.objects).toBeGreaterThanOrEqual(3);
    expect(objects).toContain("db1/full/manifest.json");
    expect(JSON.parse(await swift.aws("s3api", "head-object", "--bucket", "hbround", "--key", "db1/full/data/000001")).ETag).toMatch(/-2"$/);
    // The manifest says what the objects hold, and never the key.
    const manifest = JSON.parse(await swift.aws("s3", "cp", "s3://hbround/db1/full/manifest.json", "-"));
    expect(manifest.content).toEqual({ format: "hb-stream-1", compression: "zstd", encrypted: true });
    const keyHex = Buffer.from(await Bun.file(key).arrayBuffer()).toString("hex");
    expect(JSON.stringify(manifest)).not.toContain(keyHex);

    const [entry] = await listed(hb, "s3://hbround/db1");
    expect(entry).toMatchObject({ name: "full", complete: true, objects: result.objects, uploads: 0 });
    expect(entry!.binlog).toEqual(result.backup.binlog);

    const verified = await hb(["verify", "--encrypt-key-file", key, "--json", url]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).chunks).toBeGreaterThan(20);

    const datadir = join(tmp.path, "restored");
    const restore = await hb(["restore", "--encrypt-key-file", key, "--datadir", datadir, url]);
    if (restore.code !== 0) console.error(restore.stderr);
    expect(restore.code).toBe(0);
    expect(existsSync(join(datadir, "ibdata1"))).toBe(true);
    expect(existsSync(join(datadir, "s3data", "blobs.ibd"))).toBe(true);
    const { want, got, before } = await rollForward(source, datadir, entry!.binlog!);
    expect(before).not.toEqual(want); // the source went on after the backup: the binlog position must be right
    expect(got).toEqual(want);
    expect(want.length).toBeGreaterThanOrEqual(3);
  }, 600_000);

  test("a wrong key or none is refused before anything is placed; hb extract with the key downloads it", async () => {
    await using tmp = tempDir("s3-key");
    const url = "s3://hbround/db1/keyed";
    const key = keyFile(tmp.path);
    expect((await hb(["backup", "--socket", source.socket, "--user", "root", "--encrypt-key-file", key, ...SMALL_OBJECTS, url])).code).toBe(0);
    const wrong = keyFile(tmp.path, "wrong");
    const datadir = join(tmp.path, "restored");
    const withWrong = await hb(["restore", "--encrypt-key-file", wrong, "--datadir", datadir, url]);
    expect(withWrong.code).toBe(2);
    expect(withWrong.stderr).toMatch(/key/i);
    expect(existsSync(datadir)).toBe(false);
    const withNone = await hb(["restore", "--datadir", datadir, url]);
    expect(withNone.code).toBe(2);
    expect(existsSync(datadir)).toBe(false);
    expect((await hb(["verify", "--encrypt-key-file", wrong, url])).code).toBe(2);

    // hb extract only downloads: the backup directory hb backup DIR would have written, which verifies and prepares.
    const dir = join(tmp.path, "extracted");
    const extract = await hb(["extract", "--encrypt-key-file", key, url, dir]);
    expect(extract.code).toBe(0);
    expect((await run([HB, "verify", dir])).code).toBe(0);
    expect(existsSync(join(dir, "s3data", "blobs.ibd"))).toBe(false);
    expect((await run([HB, "prepare", dir], { timeoutMs: 300_000 })).code).toBe(0);
    expect(existsSync(join(dir, "s3data", "blobs.ibd"))).toBe(true);
  }, 300_000);

  test("re-running the same name refuses to overwrite it, complete or not", async () => {
    const url = "s3://hbround/db1/twice";
    expect((await hb(["backup", "--socket", source.socket, "--user", "root", url])).code).toBe(0);
    const before = await swift.aws("s3api", "list-objects-v2", "--bucket", "hbround", "--prefix", "db1/twice/");
    const again = await hb(["backup", "--socket", source.socket, "--user", "root", url]);
    expect(again.code).toBe(7);
    expect(again.stderr).toContain("already holds a complete backup");
    expect(await swift.aws("s3api", "list-objects-v2", "--bucket", "hbround", "--prefix", "db1/twice/")).toBe(before);
    // An incomplete one too: objects but no manifest.
    await swift.aws("s3api", "delete-object", "--bucket", "hbround", "--key", "db1/twice/manifest.json");
    const incomplete = await hb(["backup", "--socket", source.socket, "--user", "root", url]);
    expect(incomplete.code).toBe(7);
    expect(incomplete.stderr).toContain("already holds an incomplete backup");
  }, 300_000);

  test("keys, region and endpoint from the [hb] group of an option file", async () => {
    await using tmp = tempDir("s3-cnf");
    const cnf = join(tmp.path, "hb.cnf");
    const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: region } = swift.env;
    writeFileSync(cnf, `[client]\nuser=root\n[hb]\ns3-endpoint=${swift.endpoint}\ns3-region=${region}\ns3-access-key-id=${id}\ns3-secret-access-key=${secret}\n`);
    chmodSync(cnf, 0o600);
    const noEnv = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_REGION: undefined };
    const backup = await run([HB, "backup", "--defaults-file", cnf, "--socket", source.socket, "s3://hbround/cnf/b1"], { env: noEnv, timeoutMs: 300_000 });
    expect(backup.code).toBe(0);
    const list = await run([HB, "list", "--defaults-file", cnf, "--json", "s3://hbround/cnf"], { env: noEnv });
    expect(JSON.parse(list.stdout).backups.map((b: { name: string; complete: boolean }) => [b.name, b.complete])).toEqual([["b1", true]]);
  }, 300_000);
});
