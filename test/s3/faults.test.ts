// The store failing under hb backup s3://…, through the fault proxy: failing and recovering mid-upload (the
// backup completes), failing for good (hb gives up cleanly: nothing left that looks complete, its multipart
// uploads aborted), and hb itself killed or interrupted mid-upload.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { HB, ROOT, tempDir, testEnv } from "../helpers/harness";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { type Server, startMariaDB } from "../helpers/mariadb";
import { type Swift, startSwift } from "../helpers/swift";
import { SMALL_OBJECTS, fillRandom, hbWith, listed } from "./fixture";

let swift: Swift;
let proxy: FaultProxy;
let source: Server;
let hb: ReturnType<typeof hbWith>;

beforeAll(async () => {
  swift = await startSwift();
  await swift.createBucket("hbfaults");
  proxy = await startFaultProxy(swift.endpoint);
  hb = hbWith(swift);
  source = await startMariaDB({ binlog: true });
  await fillRandom(source, 24);
}, 180_000);
afterAll(async () => {
  await source?.stop();
  await proxy?.close();
  await swift?.stop();
});

const backupArgs = (url: string, ...more: string[]) => ["backup", "--socket", source.socket, "--user", "root", ...SMALL_OBJECTS, ...more, url];
const multipartUploads = async (prefix: string) =>
  JSON.parse((await swift.aws("s3api", "list-multipart-uploads", "--bucket", "hbfaults", "--prefix", prefix)) || "{}").Uploads ?? [];

/** hb backup in the background, so that the test can act while it uploads. */
function spawnBackup(url: string) {
  const proc = Bun.spawn([HB, ...backupArgs(url, "--s3-endpoint", proxy.endpoint)], {
    cwd: ROOT,
    env: { ...testEnv, ...swift.env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  return { proc, stderr: new Response(proc.stderr).text() };
}

const uploadReached = (name: string, object: string) => () => proxy.seen.some((l) => l.startsWith("PUT ") && l.includes(`/${name}/data/${object}?partNumber=`));

async function until(condition: () => boolean, ms = 120_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

describe("the store fails under hb backup", () => {
  test("resets, 503s and a stalled connection mid-upload: retried, the backup completes and verifies", async () => {
    proxy.clear();
    const before = proxy.faulted;
    proxy.inject({ fault: "stall", match: /^PUT .*data\/000001\?partNumber=1&/ });
    proxy.inject({ fault: "503", times: 2, match: /^PUT .*data\/000002\?partNumber=/ });
    proxy.inject({ fault: "reset", match: /^PUT .*data\/000003\?partNumber=/ });
    proxy.inject({ fault: "500", match: /^POST .*data\/000003\?uploadId=/ });
    const backup = await hb(backupArgs("s3://hbfaults/db/recovers", "--s3-timeout", "2s"), { endpoint: proxy.endpoint });
    if (backup.code !== 0) console.error(backup.stderr);
    expect(backup.code).toBe(0);
    expect(proxy.faulted - before).toBe(5);
    expect(backup.stderr).toContain("no progress for 2 s");
    expect(backup.stderr).toContain("ServiceUnavailable");
    expect((await hb(["verify", "s3://hbfaults/db/recovers"])).code).toBe(0);
    expect(await multipartUploads("db/recovers/")).toEqual([]);
  }, 300_000);

  test("a store that stays down: hb gives up (exit 8), aborts its uploads and deletes its objects", async () => {
    proxy.clear();
    proxy.inject({ fault: "503", times: Number.POSITIVE_INFINITY, match: /^PUT .*data\/000002\?partNumber=/ });
    const backup = await hb(backupArgs("s3://hbfaults/db/gives-up", "--s3-attempts", "3"), { endpoint: proxy.endpoint });
    proxy.clear();
    expect(backup.code).toBe(8);
    expect(backup.stderr).toContain("gave up after 3 tries");
    expect(proxy.seen.some((l) => /^PUT .*gives-up\/data\/000001\?partNumber=2&/.test(l))).toBe(true); // it had uploaded an object
    expect((await listed(hb, "s3://hbfaults/db")).filter((b) => b.name === "gives-up")).toEqual([]);
    expect(await multipartUploads("db/gives-up/")).toEqual([]);
  }, 300_000);

  test("the manifest cannot be written: exit 8, and nothing that looks complete is left", async () => {
    proxy.clear();
    proxy.inject({ fault: "503", times: Number.POSITIVE_INFINITY, match: /^PUT .*no-manifest\/manifest\.json/ });
    const backup = await hb(backupArgs("s3://hbfaults/db/no-manifest", "--s3-attempts", "2"), { endpoint: proxy.endpoint });
    proxy.clear();
    expect(backup.code).toBe(8);
    expect(proxy.seen.some((l) => /^PUT .*no-manifest\/data\/000003\?partNumber=/.test(l))).toBe(true); // the data was all up
    expect((await listed(hb, "s3://hbfaults/db")).filter((b) => b.name === "no-manifest")).toEqual([]);
  }, 300_000);

  test("SIGTERM mid-upload: exit 130, and nothing is left", async () => {
    proxy.clear();
    proxy.inject({ fault: { slowMs: 400 }, times: Number.POSITIVE_INFINITY });
    const { proc, stderr } = spawnBackup("s3://hbfaults/db/interrupted");
    await until(uploadReached("interrupted", "000002"));
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(130);
    proxy.clear();
    expect(await stderr).toContain("interrupted");
    expect((await listed(hb, "s3://hbfaults/db")).filter((b) => b.name === "interrupted")).toEqual([]);
    expect(await multipartUploads("db/interrupted/")).toEqual([]);
  }, 300_000);

  test("SIGKILL mid-upload: listed incomplete, never restored from, removed by hb list --remove-incomplete", async () => {
    proxy.clear();
    proxy.inject({ fault: { slowMs: 400 }, times: Number.POSITIVE_INFINITY });
    const { proc } = spawnBackup("s3://hbfaults/db/killed");
    await until(uploadReached("killed", "000002"));
    proc.kill("SIGKILL");
    await proc.exited;
    proxy.clear();
    const [killed] = (await listed(hb, "s3://hbfaults/db")).filter((b) => b.name === "killed");
    expect(killed).toMatchObject({ complete: false });
    expect(killed!.objects + killed!.uploads).toBeGreaterThan(0);
    expect(await multipartUploads("db/killed/")).not.toEqual([]);
    await using tmp = tempDir("s3-killed");
    const restore = await hb(["restore", "--datadir", join(tmp.path, "data"), "s3://hbfaults/db/killed"]);
    expect(restore.code).toBe(10);
    expect(restore.stderr).toContain("has no manifest: the backup is incomplete");
    expect(readdirSync(tmp.path)).toEqual([]);

    // Too recent for the default --min-age: an upload may still be running.
    expect((await hb(["list", "--remove-incomplete", "s3://hbfaults/db"])).code).toBe(0);
    expect((await listed(hb, "s3://hbfaults/db")).some((b) => b.name === "killed")).toBe(true);
    const remove = await hb(["list", "--remove-incomplete", "--min-age", "0", "--json", "s3://hbfaults/db"]);
    expect(remove.code).toBe(0);
    expect(JSON.parse(remove.stdout).removed).toEqual(["killed"]);
    expect((await listed(hb, "s3://hbfaults/db")).some((b) => b.name === "killed")).toBe(false);
    expect(await multipartUploads("db/killed/")).toEqual([]);
    // The complete backups are untouched.
    expect((await listed(hb, "s3://hbfaults/db")).map((b) => [b.name, b.complete])).toEqual([["recovers", true]]);
  }, 300_000);
});
