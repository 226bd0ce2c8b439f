// A backup in the store that was changed after it was written: a tampered, reordered or missing object, or
// no manifest. hb verify names the difference (exit 11); hb restore refuses (exit 10) and places nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TempDir, tempDir } from "../helpers/harness";
import { type Server, startMariaDB } from "../helpers/mariadb";
import { type Swift, startSwift } from "../helpers/swift";
import { SMALL_OBJECTS, fillRandom, hbWith, listed } from "./fixture";

let swift: Swift;
let source: Server;
let hb: ReturnType<typeof hbWith>;
let tmp: TempDir;
const url = "s3://hbdamage/db/b1";
const object = (n: number) => `s3://hbdamage/db/b1/data/00000${n}`;
const local = (n: number) => join(tmp.path, `object${n}`);

beforeAll(async () => {
  tmp = tempDir("s3-damage");
  swift = await startSwift();
  await swift.createBucket("hbdamage");
  hb = hbWith(swift);
  source = await startMariaDB({ binlog: true });
  await fillRandom(source, 24);
  const backup = await hb(["backup", "--socket", source.socket, "--user", "root", ...SMALL_OBJECTS, url]);
  if (backup.code !== 0) throw new Error(backup.stderr);
  for (const n of [1, 2]) await swift.aws("s3", "cp", "--quiet", object(n), local(n));
}, 180_000);
afterAll(async () => {
  await source?.stop();
  await swift?.stop();
  tmp?.[Symbol.dispose]();
});

/** Puts the objects back as hb wrote them, and checks that the backup verifies again. */
async function repair() {
  for (const n of [1, 2]) await swift.aws("s3", "cp", "--quiet", local(n), object(n));
  expect((await hb(["verify", url])).code).toBe(0);
}

async function expectRefused(what: RegExp) {
  const verify = await hb(["verify", url]);
  expect(verify.code).toBe(11);
  expect(verify.stderr).toMatch(what);
  const datadir = join(tmp.path, "restored");
  const restore = await hb(["restore", "--datadir", datadir, url]);
  expect(restore.code).toBe(10);
  expect(existsSync(datadir)).toBe(false);
}

describe("a damaged backup in the store", () => {
  test("the untouched backup verifies", async () => {
    const verify = await hb(["verify", "--json", url]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).objects).toBeGreaterThanOrEqual(3);
  });

  test("one byte changed in an object", async () => {
    const bytes = readFileSync(local(2));
    bytes[1234567] = bytes[1234567]! ^ 0x40;
    writeFileSync(join(tmp.path, "tampered"), bytes);
    await swift.aws("s3", "cp", "--quiet", join(tmp.path, "tampered"), object(2));
    await expectRefused(/data\/000002 bytes 0-5242880 do not match/);
    await repair();
  }, 120_000);

  test("two objects swapped", async () => {
    await swift.aws("s3", "cp", "--quiet", local(1), object(2));
    await swift.aws("s3", "cp", "--quiet", local(2), object(1));
    await expectRefused(/data\/000001 bytes 0-5242880 do not match/);
    await repair();
  }, 120_000);

  test("an object missing", async () => {
    await swift.aws("s3", "rm", "--quiet", object(2));
    await expectRefused(/data\/000002 is missing/);
    await repair();
  }, 120_000);

  test("no manifest: incomplete, listed as such, never restored from", async () => {
    await swift.aws("s3", "cp", "--quiet", "s3://hbdamage/db/b1/manifest.json", join(tmp.path, "manifest.json"));
    await swift.aws("s3", "rm", "--quiet", "s3://hbdamage/db/b1/manifest.json");
    expect((await listed(hb, "s3://hbdamage/db"))[0]).toMatchObject({ name: "b1", complete: false });
    const datadir = join(tmp.path, "restored");
    const restore = await hb(["restore", "--datadir", datadir, url]);
    expect(restore.code).toBe(10);
    expect(restore.stderr).toContain("has no manifest: the backup is incomplete");
    expect(existsSync(datadir)).toBe(false);
    await swift.aws("s3", "cp", "--quiet", join(tmp.path, "manifest.json"), "s3://hbdamage/db/b1/manifest.json");
    expect((await listed(hb, "s3://hbdamage/db"))[0]).toMatchObject({ name: "b1", complete: true });
  }, 120_000);
});
