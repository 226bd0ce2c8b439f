// Walks the records of a journal file in order through one large buffer, so that a journal of any size is
// read sequentially with few system calls and never held in memory. Structural checks (length, bounds) live
// here because the walk cannot go on without them; the content checks are the caller's.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { HbError } from "../errors";
import { F, HB_REC_COMMITTED, HB_REC_HDR, HB_REC_MAX_DATA } from "./format";

const BUFFER = 8 << 20;
// Largest record the shim writes: a WRITE of HB_REC_MAX_DATA, or a BIND with name, target and path.
export const MAX_RECORD = HB_REC_HDR + HB_REC_MAX_DATA + 4 * 4096;

export const damaged = (path: string, offset: number, what: string) =>
  new HbError("damaged", `journal ${path} is damaged at byte ${offset}: ${what}`, "take a new backup");

export class RecordScanner implements Disposable {
  readonly buf: Uint8Array;
  readonly view: DataView;
  readonly size: number;
  private fd: number;
  private base = 0; // file offset of buf[0]
  private end = 0; // valid bytes in buf
  private at = 0; // index in buf of the next record

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    this.size = fstatSync(this.fd).size;
    this.buf = new Uint8Array(Math.max(BUFFER, 2 * MAX_RECORD));
    this.view = new DataView(this.buf.buffer);
  }

  /** File offset of buf[i]. */
  offsetOf(i: number): number {
    return this.base + i;
  }

  /**
   * Index in `buf` of the next whole record (its length checked), or -1 at the end of the file.
   * The bytes stay valid until the next call.
   */
  next(): number {
    const left = this.size - (this.base + this.at);
    if (left === 0) return -1;
    const offset = this.base + this.at;
    if (left < HB_REC_HDR) throw damaged(this.path, offset, `the file ends inside a record header (${left} bytes left)`);
    this.need(HB_REC_HDR);
    const raw = this.view.getUint32(this.at + F.len, true);
    if (raw & HB_REC_COMMITTED) throw damaged(this.path, offset, "record length has bit 31 set");
    if (raw < HB_REC_HDR || raw % 8 || raw > MAX_RECORD) throw damaged(this.path, offset, `bad record length ${raw}`);
    if (raw > left) throw damaged(this.path, offset, `the file ends inside a record of ${raw} bytes (${left} bytes left)`);
    this.need(raw);
    const i = this.at;
    this.at += raw;
    return i;
  }

  /** Makes `n` bytes from `at` available in the buffer. */
  private need(n: number): void {
    if (this.end - this.at >= n) return;
    if (this.at > 0) {
      this.buf.copyWithin(0, this.at, this.end);
      this.base += this.at;
      this.end -= this.at;
      this.at = 0;
    }
    while (this.end < n) {
      const want = Math.min(this.buf.length - this.end, this.size - (this.base + this.end));
      const got = want > 0 ? readSync(this.fd, this.buf, this.end, want, this.base + this.end) : 0;
      if (got <= 0) throw damaged(this.path, this.base, "the file is shorter than it was when the walk began");
      this.end += got;
    }
  }

  [Symbol.dispose](): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
