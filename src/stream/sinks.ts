// Where `hb backup --stream` writes: a file descriptor (stdout), written off the event loop, that fails with a
// clear error when the reader takes no byte for stallMs, rather than leaving the backup waiting for ever.
import { write } from "node:fs";
import { HbError } from "../errors";
import type { StreamSink } from "./writer";

const writeSome = (fd: number, buf: Uint8Array) =>
  new Promise<number>((resolve, reject) => write(fd, buf, 0, buf.length, null, (e, n) => (e ? reject(e) : resolve(n))));

export class FdSink implements StreamSink {
  bytes = 0;
  constructor(
    private fd: number,
    private stallMs: number,
    private what = "stdout",
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; ) at += await this.writeWithin(bytes.subarray(at));
    this.bytes += bytes.length;
  }

  /** One write(2), or a stall error when no byte was taken for stallMs. */
  private async writeWithin(buf: Uint8Array): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new HbError(
              "io",
              `the reader of ${this.what} took nothing for ${this.stallMs / 1000} s (after ${this.bytes} bytes): the streamed backup is abandoned`,
              "check what reads the stream (ssh, the uploader), or raise --stream-stall-timeout",
            ),
          ),
        this.stallMs,
      );
    });
    try {
      for (;;) {
        try {
          return await Promise.race([writeSome(this.fd, buf), stalled]);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "EAGAIN") await Promise.race([Bun.sleep(5), stalled]); // a non-blocking pipe that is full
          else if (code === "EPIPE") throw new HbError("io", `the reader of ${this.what} went away (broken pipe): the streamed backup is abandoned`);
          else throw e instanceof HbError ? e : new HbError("io", `cannot write to ${this.what}: ${(e as Error).message}`);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async end(): Promise<void> {}
}
