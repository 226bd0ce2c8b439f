// The S3 options' misuse is a usage error (exit 2) before any server or store is touched.
import { describe, expect, test } from "bun:test";
import { HB, run } from "../helpers/harness";

const creds = { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" };
// Nothing listens on port 9: a command that reached the store would fail otherwise than with exit 2.
const store = ["--s3-endpoint", "http://127.0.0.1:9"];

describe("S3 options", () => {
  const cases: [string, string[], Record<string, string | undefined>, RegExp][] = [
    ["a part under 5M", ["backup", ...store, "--s3-part-size", "1M", "s3://bucket/db/x"], creds, /--s3-part-size must be from 5M/],
    ["an object not a whole number of parts", ["backup", ...store, "--s3-part-size", "8M", "--s3-object-size", "12M", "s3://bucket/db/x"], creds, /whole number of --s3-part-size/],
    ["--s3-parallel 0", ["restore", ...store, "--s3-parallel", "0", "--datadir", "/tmp/hb-never", "s3://bucket/db/x"], creds, /--s3-parallel/],
    ["a bucket without a NAME", ["verify", ...store, "s3://bucket"], creds, /names a bucket, not a backup/],
    ["a bad bucket name", ["verify", ...store, "s3://B_/x"], creds, /invalid S3 location/],
    ["no credentials", ["verify", ...store, "s3://bucket/db/x"], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, HOME: "/nonexistent" }, /no S3 credentials/],
    ["S3 options with a directory", ["backup", "--s3-endpoint", "http://127.0.0.1:9", "/tmp/hb-never"], creds, /--s3-endpoint goes with an s3:\/\/ location/],
    ["a key file with a local restore", ["restore", "--encrypt-key-file", "/etc/hostname", "--datadir", "/tmp/hb-never", "/tmp/hb-never-backup"], creds, /--encrypt-key-file goes with an s3:\/\/ location/],
    ["hb list of a directory", ["list", "/tmp"], creds, /takes an s3:\/\/ location/],
    ["--stream with s3://", ["backup", ...store, "--stream", "s3://bucket/db/x"], creds, /give one or the other/],
    ["restore s3:// without --datadir", ["restore", ...store, "s3://bucket/db/x"], creds, /needs --datadir/],
  ];
  for (const [what, args, env, message] of cases) {
    test(`${what}: exit 2`, async () => {
      const r = await run([HB, ...args], { env });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    });
  }
});
