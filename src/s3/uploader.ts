// A byte stream into numbered objects under one backup's prefix (docs/s3.md "Layout" and "Memory"). Bytes
// are cut into parts of partSize; an object is up to objectSize of them, uploaded as a multipart upload (or
// as one PUT each when objectSize is no more than partSize). At most `parallel` parts are in memory or in
// flight, in buffers that are reused, whatever the stream's length. On failure every multipart upload started here is aborted and every object
// written here deleted, as far as the store lets it.
import { CryptoHasher } from "bun";
import { log } from "../log";
import type { Store } from "./client";
import { BufferPool, releaseRequestMemory } from "./pool";
import { objectKey } from "./layout";
import type { ObjectEntry } from "./manifest";

export interface UploadOptions {
  partSize: number;
  objectSize: number;
  parallel: number;
}

interface OpenObject {
  key: string;
  size: number;
  whole: CryptoHasher;
  ranges: string[];
  /** Set when the object is a multipart upload. */
  uploadId?: Promise<string>;
  /** The object's only part, when it is sent as one PUT (its pool buffer, its bytes, their SHA-256). */
  single?: { buf: Uint8Array; bytes: Uint8Array; sha256: string };
  parts: Promise<string>[];
}

export class Uploader {
  private readonly pool: BufferPool;
  private readonly objects: Promise<ObjectEntry>[] = [];
  private readonly started: { key: string; uploadId: Promise<string> }[] = [];
  private readonly written: string[] = [];
  private failure: unknown;
  private cleaned = false;
  private open?: OpenObject;
  private part?: Uint8Array;
  private filled = 0;
  private partHash = new CryptoHasher("sha256");

  constructor(
    private readonly store: Store,
    private readonly base: string,
    private readonly o: UploadOptions,
  ) {
    this.pool = new BufferPool(o.parallel, o.partSize);
  }

  /** Adds bytes to the stream; resolves when they are buffered (so a caller that awaits is bounded). */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.byteLength) {
      if (this.failure) throw this.failure;
      if (!this.part) {
        const buf = await this.pool.take();
        if (this.failure) {
          this.pool.give(buf); // abandoned while this write waited: nothing new may start
          throw this.failure;
        }
        this.part = buf;
        this.filled = 0;
      }
      const n = Math.min(bytes.byteLength - at, this.o.partSize - this.filled);
      const piece = bytes.subarray(at, at + n);
      this.part.set(piece, this.filled);
      this.partHash.update(piece);
      this.filled += n;
      at += n;
      if (this.filled === this.o.partSize) await this.flushPart();
    }
  }

  /** Uploads what is left and waits for every object; returns them in stream order. */
  async finish(): Promise<ObjectEntry[]> {
    try {
      if (this.part && this.filled > 0) await this.flushPart();
      else if (this.part) {
        this.pool.give(this.part);
        this.part = undefined;
      }
      if (this.open) this.closeObject();
      const objects = await Promise.all(this.objects);
      if (this.failure) throw this.failure;
      return objects;
    } catch (error) {
      await this.cleanUp();
      throw error;
    }
  }

  /** Stops after a failure elsewhere: aborts and deletes what this uploader wrote. */
  async abandon(): Promise<void> {
    this.failure ??= new Error("abandoned");
    await Promise.allSettled(this.objects);
    await this.cleanUp();
  }

  private async flushPart(): Promise<void> {
    const buf = this.part!;
    const bytes = buf.subarray(0, this.filled);
    const rangeSha = this.partHash.digest("hex");
    this.part = undefined;
    this.partHash = new CryptoHasher("sha256");
    if (!this.open) {
      this.open = { key: objectKey(this.base, this.objects.length + 1), size: 0, whole: new CryptoHasher("sha256"), ranges: [], parts: [] };
    }
    const obj = this.open;
    obj.whole.update(bytes);
    obj.ranges.push(rangeSha);
    obj.size += bytes.byteLength;
    if (this.o.objectSize <= this.o.partSize) obj.single = { buf, bytes, sha256: rangeSha };
    else {
      if (!obj.uploadId) {
        obj.uploadId = this.store.createMultipart(obj.key);
        this.started.push({ key: obj.key, uploadId: obj.uploadId });
      }
      this.sendPart(obj, obj.ranges.length, buf, bytes, rangeSha);
    }
    if (obj.size + this.o.partSize > this.o.objectSize) this.closeObject();
  }

  private sendPart(obj: OpenObject, n: number, buf: Uint8Array, bytes: Uint8Array, sha256: string): void {
    const sent = obj.uploadId!.then((id) => this.store.uploadPart(obj.key, id, n, bytes, sha256));
    sent.catch((e) => (this.failure ??= e)).finally(() => this.release(buf));
    obj.parts.push(sent);
  }

  private release(buf: Uint8Array): void {
    releaseRequestMemory();
    this.pool.give(buf);
  }

  private closeObject(): void {
    const obj = this.open!;
    this.open = undefined;
    const entry: ObjectEntry = { key: obj.key.slice(this.base.length), size: obj.size, sha256: obj.whole.digest("hex"), ranges: obj.ranges };
    let done: Promise<void>;
    if (obj.single) {
      const { buf, bytes, sha256 } = obj.single;
      done = this.store.putObject(obj.key, bytes, sha256);
      done.catch(() => {}).finally(() => this.release(buf));
    } else {
      done = Promise.all(obj.parts).then(async (etags) => this.store.completeMultipart(obj.key, await obj.uploadId!, etags));
    }
    const settled = done.then(
      () => {
        this.written.push(obj.key);
        log.debug(`uploaded ${obj.key} (${obj.size} bytes)`);
        return entry;
      },
      (e) => {
        this.failure ??= e;
        throw e;
      },
    );
    settled.catch(() => {});
    this.objects.push(settled);
  }

  private async cleanUp(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await Promise.allSettled(this.objects);
    const undone = await Promise.allSettled(
      [
        ...this.started.map(async (u) => this.store.abortMultipart(u.key, await u.uploadId)),
        ...this.written.map((key) => this.store.deleteObject(key)),
      ],
    );
    const left = undone.filter((r) => r.status === "rejected").length;
    if (left) log.warn(`${left} objects or multipart uploads could not be removed: hb list shows them, hb list --remove-incomplete removes them`);
  }
}
