// Where `hb backup --stream` writes: stdout, through Bun's own non-blocking writer, one chunk at a time
// (each awaited: never more than a chunk buffered). A reader that takes no byte for stallMs fails the stream
// with a clear error; the writer is then let go, so hb exits rather than waiting on a pipe nobody reads.
import type { FileSink } from "bun";
import { HbError } from "../errors";
import type { StreamSink } from "./writer";

export class FdSink implements StreamSink {
  bytes = 0;
  private out: FileSink;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    fd: number,
    private stallMs: number,
    private what = "stdout",
  ) {
    this.out = Bun.file(fd).writer({ highWaterMark: 1 << 20 });
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.out.write(bytes);
    await this.drained();
    this.bytes += bytes.length;
  }

  private async drained(): Promise<void> {
    const stalled = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        this.out.unref();
        reject(
          new HbError(
            "io",
            `the reader of ${this.what} took nothing for ${this.stallMs / 1000} s (after ${this.bytes} bytes): the streamed backup is abandoned`,
            "check what reads the stream (ssh, the uploader), or raise --stream-stall-timeout",
          ),
        );
      }, this.stallMs);
    });
    try {
      await Promise.race([this.out.flush(), stalled]);
    } catch (e) {
      if (e instanceof HbError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") throw new HbError("io", `the reader of ${this.what} went away (broken pipe): the streamed backup is abandoned`);
      throw new HbError("io", `cannot write to ${this.what}: ${(e as Error).message}`);
    } finally {
      clearTimeout(this.timer);
    }
  }

  async end(): Promise<void> {
    await this.drained();
  }

  /** Lets a failed stream's writer go: what it still holds is dropped, and hb can exit. */
  abandon(): void {
    clearTimeout(this.timer);
    this.out.unref();
  }
}
