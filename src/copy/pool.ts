// The C copy pool, seen from TypeScript: submit whole-file copies, wait with backpressure, collect results.
import type { Pointer } from "bun:ffi";
import { HbError, errnoText } from "../errors";
import { poolApi } from "../shim/pool-ffi";

/** Files of this size and more are copied with O_DIRECT (docs/throttle.md, "Past the page cache"). The raw
 * oracle lowers it (HB_TEST_DIRECT_MIN) so that its small files take that path under its writer too. */
const DIRECT_MIN = Number(process.env.HB_TEST_DIRECT_MIN ?? 2 ** 20);

/** The longest nap between polls while copies run at full speed, and while they run at a set rate: a paced
 * copy's chunks take long anyway, and every wake-up of the CLI is CPU taken from the server (a paced backup
 * under load: the main thread at 0.02 core with 16 ms, 0.01 core with 128 ms; docs/benchmarks.md). */
const MAX_NAP_MS = 16;
const MAX_NAP_PACED_MS = 128;

export class CopyPool {
  private handle: Pointer;
  private waiting = new Map<number, (bytes: number, crc: number) => void>();
  private nextId = 1;
  private results = new BigUint64Array(3 * 256); // (id, bytes or -errno, crc32c of the copy) triples
  private rate: number;
  private naps = 0;

  constructor(
    readonly threads: number,
    rateBytesPerSec: number,
    gentle = false,
  ) {
    this.rate = rateBytesPerSec;
    const h = poolApi().hb_pool_new(threads, rateBytesPerSec, gentle ? 1 : 0, DIRECT_MIN) as Pointer | null;
    if (!h) throw new HbError("internal", "could not start the copy threads");
    this.handle = h;
  }

  /**
   * Copies src to dst (the pool closes both; dst must be open for reading too: the copy is read back for its
   * CRC32C); onDone gets the bytes copied and that CRC. Errors throw from poll().
   * ranges: only these [from, to) byte ranges of src (the copy keeps src's size; the rest is a hole).
   * unread: src's slot in the capture's unread table (Capture.unreadSlot): whole-file copies only.
   */
  submit(
    src: number,
    dst: number,
    what: string,
    onDone: (bytes: number, crc: number) => void,
    ranges?: [number, number][],
    unread?: Pointer | null,
  ): void {
    const id = this.nextId++;
    this.waiting.set(id, (bytes, crc) => {
      if (bytes < 0) throw new HbError("io", `copying ${what} failed: ${errnoText(-bytes)}`);
      onDone(bytes, crc);
    });
    const flat = new BigUint64Array((ranges ?? []).flat().map(BigInt));
    const r = poolApi().hb_pool_submit_ranges(this.handle, id, src, dst, flat, ranges?.length ?? 0, unread ?? null);
    if (r !== 0) throw new HbError("internal", `could not queue the copy of ${what}: ${errnoText(-r)}`);
  }

  paused = false; // held by the pacer (the stream holds its compression with it: src/stream/live.ts)
  private readerBehind = false; // held for a stream's reader that fell behind (src/stream/live.ts)

  get pending(): number {
    return this.waiting.size;
  }

  get bytes(): number {
    return Number(poolApi().hb_pool_bytes(this.handle));
  }

  /** Collects finished copies, running their callbacks. */
  poll(): void {
    for (;;) {
      const n = poolApi().hb_pool_poll(this.handle, this.results, this.results.length / 3);
      for (let i = 0; i < n; i++) {
        const id = Number(this.results[3 * i]);
        const raw = this.results[3 * i + 1]!;
        const crc = Number(this.results[3 * i + 2]!);
        const bytes = raw > 0x7fffffffffffffffn ? Number(raw - 0x10000000000000000n) : Number(raw);
        const done = this.waiting.get(id);
        this.waiting.delete(id);
        done?.(bytes, crc);
      }
      if (n < this.results.length / 3) return;
    }
  }

  /** Waits until at most `limit` copies are outstanding, running `tick` while it waits. */
  async waitBelow(limit: number, tick?: () => void): Promise<void> {
    this.poll();
    // Poll often while copies finish quickly (small files), back off while big ones run: every wake-up
    // is CPU the server could have had.
    let nap = 1;
    while (this.waiting.size > limit) {
      tick?.();
      await Bun.sleep(nap);
      this.naps++;
      const before = this.waiting.size;
      this.poll();
      nap = this.waiting.size < before ? 1 : Math.min(nap * 2, this.rate > 0 ? MAX_NAP_PACED_MS : MAX_NAP_MS);
    }
  }

  /** How many times waitBelow has napped so far: the CLI's wake-ups while it waits for copies. */
  get wakeups(): number {
    return this.naps;
  }

  /** Bytes per second for every copy from now on (0 = no limit). */
  setRate(bytesPerSec: number): void {
    this.rate = bytesPerSec;
    poolApi().hb_pool_set_rate(this.handle, bytesPerSec);
  }

  /** Low (true) or normal CPU and I/O priority for the copy threads, from their next chunk on. */
  gentle(on: boolean): void {
    poolApi().hb_pool_gentle(this.handle, on ? 1 : 0);
  }

  /**
   * How copies started from now on write files of DIRECT_MIN and more: through the page cache, written behind
   * and dropped (true: on an idle server the disk then overlaps the reads, a quarter faster here), or past it (false,
   * the default: on a busy server the cache's pages cost the server's CPUs). Reads go past it either way, so
   * the source's pages never push the server's cached ones out.
   */
  writeThroughCache(on: boolean): void {
    poolApi().hb_pool_direct_writes(this.handle, on ? 0 : 1);
  }

  /** Holds every copy at its next chunk (true) or lets them go on (false). */
  pause(on: boolean): void {
    this.paused = on;
    poolApi().hb_pool_pause(this.handle, this.paused || this.readerBehind ? 1 : 0);
  }

  /** The copy waits for a stream's reader while `on`, whatever the pacer does meanwhile. */
  waitForReader(on: boolean): void {
    if (on === this.readerBehind) return;
    this.readerBehind = on;
    poolApi().hb_pool_pause(this.handle, this.paused || this.readerBehind ? 1 : 0);
  }

  /** Stops the threads; copies still queued or running are abandoned (a finished backup has none). */
  close(): void {
    poolApi().hb_pool_cancel(this.handle);
    poolApi().hb_pool_free(this.handle);
    this.waiting.clear();
  }
}
