// Reading a journal file: `validateJournal` checks every record in one sequential pass (docs/journal.md
// "Journal file") and returns the namespace records prepare plans with; `contentRecords` is the replay pass.
import { existsSync } from "node:fs";
import { HbError } from "../errors";
import { crc32c } from "./crc32c";
import { BIND_NEW, BIND_OUTSIDE, F, HB_REC_HDR, identAt, pad8, RecType, u64n } from "./format";
import { damaged, RecordScanner } from "./scanner";

/** A BIND, UNBIND or CHMOD record, decoded. */
export interface NsRecord {
  pos: number;
  type: typeof RecType.BIND | typeof RecType.UNBIND | typeof RecType.CHMOD;
  isNew: boolean;
  outside: boolean;
  mode: number;
  ident: string;
  parent: string;
  name: string;
  target: string;
  abspath: string;
}

export interface JournalSummary {
  path: string;
  bytes: number;
  records: number; // before END
  namespace: NsRecord[];
  contentRecords: number;
  dataBytes: number; // payload of WRITE records
}

const decoder = new TextDecoder();

function openScanner(path: string): RecordScanner {
  if (!existsSync(path)) throw new HbError("damaged", `not a backup: ${path} is missing`);
  return new RecordScanner(path);
}

/**
 * Checks every record; throws HbError("damaged") naming the byte offset of the first bad one.
 * `crc` may be a faster CRC32C (crc-native.ts).
 */
export function validateJournal(path: string, crc: (buf: Uint8Array) => number = crc32c): JournalSummary {
  using s = openScanner(path);
  const { buf, view } = s;
  const out: JournalSummary = { path, bytes: s.size, records: 0, namespace: [], contentRecords: 0, dataBytes: 0 };
  let ended = false;
  for (let i = s.next(); i >= 0; i = s.next()) {
    const offset = s.offsetOf(i);
    const bad = (what: string) => damaged(path, offset, what);
    if (ended) throw bad("a record follows END");
    const len = view.getUint32(i + F.len, true);
    if (crc(buf.subarray(i + 8, i + len)) !== view.getUint32(i + F.crc, true)) throw bad("bad crc");
    const pos = u64n(view, i + F.pos);
    if (pos !== offset) throw bad(`record says it is at position ${pos}`);
    const type = view.getUint16(i + F.type, true);
    const count = u64n(view, i + F.count);
    const n1 = view.getUint32(i + F.n1, true);
    const n2 = view.getUint32(i + F.n2, true);
    const payload =
      type === RecType.WRITE ? count : type === RecType.BIND ? n1 + n2 + count : type === RecType.UNBIND ? n1 : 0;
    if (type < RecType.WRITE || type > RecType.MAP) throw bad(`unknown record type ${type}`);
    if (pad8(HB_REC_HDR + payload) !== len) throw bad(`record length ${len} does not match its payload of ${payload} bytes`);
    if (type === RecType.END) {
      const said = u64n(view, i + F.off);
      if (said !== out.records) throw bad(`END counts ${said} records, the journal has ${out.records}`);
      ended = true;
      continue;
    }
    out.records++;
    if (type === RecType.MAP) continue; // for hb while it copies; nothing for prepare
    if (type === RecType.WRITE || type === RecType.TRUNC || type === RecType.FALLOC) {
      out.contentRecords++;
      if (type === RecType.WRITE) out.dataBytes += count;
      continue;
    }
    const flags = view.getUint16(i + F.flags, true);
    const text = (from: number, n: number) => (n ? decoder.decode(buf.subarray(i + HB_REC_HDR + from, i + HB_REC_HDR + from + n)) : "");
    out.namespace.push({
      pos,
      type: type as NsRecord["type"],
      isNew: type === RecType.BIND && (flags & BIND_NEW) !== 0,
      outside: type === RecType.BIND && (flags & BIND_OUTSIDE) !== 0,
      mode: view.getUint32(i + F.mode, true),
      ident: identAt(view, i + F.dev),
      parent: identAt(view, i + F.pdev),
      name: type === RecType.CHMOD ? "" : text(0, n1),
      target: type === RecType.BIND ? text(n1, n2) : "",
      abspath: type === RecType.BIND ? text(n1 + n2, count) : "",
    });
  }
  if (!ended)
    throw damaged(path, s.size, s.size ? "no END record: the capture did not end cleanly" : "the journal is empty (no END record)");
  return out;
}

/** A WRITE, TRUNC or FALLOC record. `data` (WRITE) is valid only until the iterator moves on. */
export interface ContentRecord {
  type: typeof RecType.WRITE | typeof RecType.TRUNC | typeof RecType.FALLOC;
  pos: number;
  ident: string;
  off: number;
  count: number;
  mode: number; // FALLOC mode
  data: Uint8Array;
}

const none = new Uint8Array(0);

/** The content records in journal order, streamed. Run `validateJournal` first: only lengths are checked here. */
export function* contentRecords(path: string): Generator<ContentRecord> {
  using s = openScanner(path);
  const { buf, view } = s;
  for (let i = s.next(); i >= 0; i = s.next()) {
    const type = view.getUint16(i + F.type, true);
    if (type !== RecType.WRITE && type !== RecType.TRUNC && type !== RecType.FALLOC) continue;
    const count = u64n(view, i + F.count);
    yield {
      type,
      pos: u64n(view, i + F.pos),
      ident: identAt(view, i + F.dev),
      off: u64n(view, i + F.off),
      count,
      mode: view.getUint32(i + F.mode, true),
      data: type === RecType.WRITE ? buf.subarray(i + HB_REC_HDR, i + HB_REC_HDR + count) : none,
    };
  }
}
