// The S3 transport against a real store (Swift with s3api) through the fault proxy: bytes in, the same bytes
// out, retried through resets, 5xx, slow answers and stalls; refused at once on a 4xx; nothing left behind
// when it gives up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { Store, StoreError } from "../../src/s3/client";
import { download } from "../../src/s3/downloader";
import type { Manifest } from "../../src/s3/manifest";
import { DEFAULT_RETRY } from "../../src/s3/retry";
import { Uploader } from "../../src/s3/uploader";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { SWIFT_S3, type Swift, startSwift } from "../helpers/swift";

const MiB = 1024 * 1024;
let swift: Swift;
let proxy: FaultProxy;

beforeAll(async () => {
  swift = await startSwift();
  await swift.createBucket("hbtransport");
  proxy = await startFaultProxy(swift.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await swift?.stop();
});

const store = (o: { attempts?: number; secret?: string; idleMs?: number } = {}) =>
  new Store({
    endpoint: proxy.endpoint,
    bucket: "hbtransport",
    credentials: { ...SWIFT_S3, secretAccessKey: o.secret ?? SWIFT_S3.secretAccessKey },
    idleTimeoutMs: o.idleMs ?? 2000,
    retry: { ...DEFAULT_RETRY, attempts: o.attempts ?? 8, baseMs: 50, capMs: 500 },
  });

/** Writes `data` in uneven pieces, as a stream writer would. */
async function upload(s: Store, base: string, data: Uint8Array, sizes = { partSize: 5 * MiB, objectSize: 10 * MiB, parallel: 3 }) {
  const up = new Uploader(s, base, sizes);
  try {
    for (let at = 0; at < data.length; ) {
      const n = Math.min(data.length - at, 1 + Math.floor(Math.random() * 700_000));
      await up.write(data.subarray(at, at + n));
      at += n;
    }
  } catch (error) {
    await up.abandon();
    throw error;
  }
  return up.finish();
}

async function readBack(s: Store, base: string, objects: Awaited<ReturnType<typeof upload>>, partSize = 5 * MiB) {
  const manifest = { partSize, objects, bytes: objects.reduce((n, o) => n + o.size, 0) } as Manifest;
  const pieces: Uint8Array[] = [];
  for await (const p of download(s, manifest, base, 3)) pieces.push(p);
  return Buffer.concat(pieces);
}

describe("uploader and downloader", () => {
  test("a stream comes back byte for byte, in objects of whole parts, multipart where they have several", async () => {
    const data = new Uint8Array(randomBytes(23 * MiB + 12345));
    const s = store();
    const objects = await upload(s, "plain/", data);
    expect(objects.map((o) => o.size)).toEqual([10 * MiB, 10 * MiB, 3 * MiB + 12345]);
    const listed = await s.list("plain/");
    expect(listed.objects.map((o) => [o.key, o.size])).toEqual(objects.map((o) => [`plain/${o.key}`, o.size]));
    // Swift's s3api gives multipart objects their S3 ETag: MD5 of the parts' MD5s, dash, part count.
    expect(await swift.aws("s3api", "head-object", "--bucket", "hbtransport", "--key", "plain/data/000001")).toMatch(/-2\\?"/);
    expect(Buffer.compare(await readBack(s, "plain/", objects), Buffer.from(data))).toBe(0);
    expect(await s.listMultipart("plain/")).toEqual([]);
  });

  test("resets, 500s, 503s, slow answers and a stalled connection are retried and the upload completes", async () => {
    const data = new Uint8Array(randomBytes(12 * MiB));
    const s = store({ idleMs: 1500 });
    const before = proxy.faulted;
    proxy.inject({ fault: "reset", match: /partNumber=1&/ });
    proxy.inject({ fault: "500", match: /partNumber=2&/ });
    proxy.inject({ fault: "503", match: /^POST .*uploads=$/ });
    proxy.inject({ fault: "stall", match: /partNumber=1&/ });
    proxy.inject({ fault: { slowMs: 300 }, times: 3 });
    const objects = await upload(s, "faults/", data);
    expect(proxy.faulted - before).toBe(7);
    proxy.clear();
    proxy.inject({ fault: "reset", match: /^GET .*data\/000001/ });
    proxy.inject({ fault: "stall", match: /^GET .*data\/000002/ });
    expect(Buffer.compare(await readBack(s, "faults/", objects), Buffer.from(data))).toBe(0);
    expect(proxy.faulted - before).toBe(9);
    expect(await s.listMultipart("faults/")).toEqual([]);
  });

  test("a 403 fails at once with the store's message", async () => {
    const s = store({ secret: "wrong" });
    const seen = proxy.seen.length;
    const error = await s.putObject("denied/x", new Uint8Array(10)).catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toContain("SignatureDoesNotMatch");
    expect(error.exitCode).toBe(4);
    expect(proxy.seen.length - seen).toBe(1);
  });

  test("a store that keeps failing: the upload gives up, aborts its multipart uploads and deletes its objects", async () => {
    const s = store({ attempts: 3 });
    proxy.clear();
    // The first object goes through; every part of the second fails until the uploader gives up.
    proxy.inject({ fault: "503", times: Number.POSITIVE_INFINITY, match: /^PUT .*data\/000002\?partNumber/ });
    const error = await upload(s, "down/", new Uint8Array(randomBytes(25 * MiB))).catch((e) => e);
    proxy.clear();
    expect(String(error.message)).toContain("gave up after 3 tries");
    expect(await s.listMultipart("down/")).toEqual([]);
    expect((await s.list("down/")).objects).toEqual([]);
  });
});
