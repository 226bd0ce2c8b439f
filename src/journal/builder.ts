// A whole journal built in memory, for tests and debugging: records get consecutive positions.
import { encodeRecord, RecType, type RecordInput } from "./format";

export class JournalBuilder {
  private parts: Uint8Array[] = [];
  private count = 0;
  pos = 0; // where the next record goes

  /** Appends a record; returns its position. */
  add(rec: RecordInput): number {
    const at = this.pos;
    const bytes = encodeRecord(rec, at);
    this.parts.push(bytes);
    this.pos += bytes.length;
    this.count++;
    return at;
  }

  /** The journal bytes, ended with END unless `end` is false. */
  bytes(end = true): Uint8Array {
    const parts = end ? [...this.parts, encodeRecord({ type: RecType.END, off: this.count }, this.pos)] : this.parts;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
