import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HbError } from "../../src/errors";
import { JournalBuilder } from "../../src/journal/builder";
import { fastCrc } from "../../src/journal/crc-native";
import { crc32c } from "../../src/journal/crc32c";
import { BIND_NEW, BIND_OUTSIDE, decodeHeader, encodeRecord, HB_REC_HDR, RecType } from "../../src/journal/format";
import { contentRecords, validateJournal } from "../../src/journal/reader";
import { thrownBy } from "../helpers/damage";
import { tempDir } from "../helpers/harness";

const enc = new TextEncoder();

/** The bitwise definition, to check the sliced table against. */
function crcBitwise(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

const damagedAt = (fn: () => unknown, offset: number, what: string) => {
  const caught = thrownBy(fn);
  expect(caught).toBeInstanceOf(HbError);
  const e = caught as HbError;
  expect(e.exitCode).toBe(10);
  expect(e.message).toContain(`is damaged at byte ${offset}: `);
  expect(e.message).toContain(what);
};

describe("crc32c", () => {
  test("known vector", () => {
    expect(crc32c(enc.encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  test("matches the bitwise definition at every length and alignment, and continues from a seed", () => {
    const data = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 9; start++)
      for (let len = 0; len < 40; len++) expect(crc32c(data.subarray(start, start + len))).toBe(crcBitwise(data.subarray(start, start + len)));
    expect(crc32c(data.subarray(123), crc32c(data.subarray(0, 123)))).toBe(crc32c(data));
  });

  test("the fast CRC prepare uses (the shim's, when it loads) agrees with the JS one", async () => {
    const fast = await fastCrc();
    const data = new Uint8Array(70000).map((_, i) => (i * 2654435761) >>> 24);
    for (const [start, len] of [[0, 0], [1, 7], [3, 80], [8, 1000], [5, 69995]] as const)
      expect(fast(data.subarray(start, start + len))).toBe(crc32c(data.subarray(start, start + len)));
  });
});

describe("record format", () => {
  test("encodeRecord fills len, padding and crc; decodeHeader reads every field back", () => {
    const rec = encodeRecord(
      { type: RecType.BIND, flags: BIND_NEW | BIND_OUTSIDE, mode: 0o120777, ident: "2049:18446744073709551615", parent: "7:8", name: "ab", target: "xyz", abspath: "/r/ab" },
      4096,
    );
    expect(rec.length).toBe(96); // 80 + 2 + 3 + 5 = 90, padded
    const h = decodeHeader(new DataView(rec.buffer), 0);
    expect(h).toMatchObject({ len: 96, pos: 4096n, type: 4, flags: 3, mode: 0o120777, dev: 2049n, ino: 18446744073709551615n, pdev: 7n, pino: 8n, count: 5n, n1: 2, n2: 3 });
    expect(h.ident).toBe("2049:18446744073709551615");
    expect(h.parent).toBe("7:8");
    expect(h.crc).toBe(crc32c(rec.subarray(8)));
    expect(new TextDecoder().decode(rec.subarray(HB_REC_HDR, HB_REC_HDR + 10))).toBe("abxyz/r/ab");
    expect([...rec.subarray(90)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test("the header layout is the C struct's: WRITE count and payload", () => {
    const rec = encodeRecord({ type: RecType.WRITE, ident: "1:2", off: 1n << 40n, data: enc.encode("hello") }, 0);
    const v = new DataView(rec.buffer);
    expect(v.getUint32(0, true)).toBe(88);
    expect(v.getUint16(16, true)).toBe(1);
    expect(v.getBigUint64(24, true)).toBe(1n);
    expect(v.getBigUint64(32, true)).toBe(2n);
    expect(v.getBigUint64(56, true)).toBe(1n << 40n);
    expect(v.getBigUint64(64, true)).toBe(5n);
  });
});

function journalOf(build: (j: JournalBuilder) => void, end = true): { bytes: Uint8Array; j: JournalBuilder } {
  const j = new JournalBuilder();
  build(j);
  return { bytes: j.bytes(end), j };
}

describe("validateJournal", () => {
  const sample = (j: JournalBuilder) => {
    j.add({ type: RecType.WRITE, ident: "1:2", off: 10, data: enc.encode("abc") });
    j.add({ type: RecType.BIND, flags: BIND_NEW, parent: "1:1", name: "d", ident: "1:3", mode: 0o40755, abspath: "/s/d" });
    j.add({ type: RecType.TRUNC, ident: "1:2", off: 4 });
    j.add({ type: RecType.BIND, parent: "1:3", name: "l", ident: "1:4", mode: 0o120777, target: "../x", abspath: "/s/d/l" });
    j.add({ type: RecType.UNBIND, parent: "1:1", name: "old", ident: "1:9" });
    j.add({ type: RecType.CHMOD, ident: "1:2", mode: 0o100600 });
    j.add({ type: RecType.FALLOC, ident: "1:2", mode: 3, off: 0, count: 2 });
    j.add({ type: RecType.MAP, ident: "1:2" }); // for hb while it copies: counted, and nothing else
  };

  test("a good journal: counts, and namespace records decoded with names, targets and paths", () => {
    using t = tempDir();
    const { bytes } = journalOf(sample);
    const path = join(t.path, "journal");
    writeFileSync(path, bytes);
    const s = validateJournal(path);
    expect(s).toMatchObject({ bytes: bytes.length, records: 8, contentRecords: 3, dataBytes: 3 });
    expect(s.namespace).toEqual([
      { pos: 88, type: 4, isNew: true, outside: false, mode: 0o40755, ident: "1:3", parent: "1:1", name: "d", target: "", abspath: "/s/d" },
      { pos: 256, type: 4, isNew: false, outside: false, mode: 0o120777, ident: "1:4", parent: "1:3", name: "l", target: "../x", abspath: "/s/d/l" },
      { pos: 352, type: 5, isNew: false, outside: false, mode: 0, ident: "1:9", parent: "1:1", name: "old", target: "", abspath: "" },
      { pos: 440, type: 6, isNew: false, outside: false, mode: 0o100600, ident: "1:2", parent: "0:0", name: "", target: "", abspath: "" },
    ]);
  });

  test("a flipped byte is a bad crc at that record's offset", () => {
    using t = tempDir();
    const { bytes } = journalOf(sample);
    const path = join(t.path, "journal");
    bytes[88 + 85] = bytes[88 + 85]! ^ 1; // inside the BIND's name/path
    writeFileSync(path, bytes);
    damagedAt(() => validateJournal(path), 88, "bad crc");
  });

  test("a journal cut inside a record, or inside a header", () => {
    using t = tempDir();
    const { bytes } = journalOf(sample);
    const path = join(t.path, "journal");
    writeFileSync(path, bytes.subarray(0, 88 + 84));
    damagedAt(() => validateJournal(path), 88, "the file ends inside a record of 88 bytes (84 bytes left)");
    writeFileSync(path, bytes.subarray(0, 88 + 40));
    damagedAt(() => validateJournal(path), 88, "the file ends inside a record header");
  });

  test("no END, an empty file, END with the wrong count, a record after END", () => {
    using t = tempDir();
    const path = join(t.path, "journal");
    const { bytes, j } = journalOf(sample, false);
    writeFileSync(path, bytes);
    damagedAt(() => validateJournal(path), bytes.length, "no END record");
    writeFileSync(path, new Uint8Array(0));
    damagedAt(() => validateJournal(path), 0, "the journal is empty");
    writeFileSync(path, Buffer.concat([bytes, encodeRecord({ type: RecType.END, off: 6 }, j.pos)]));
    damagedAt(() => validateJournal(path), j.pos, "END counts 6 records, the journal has 8");
    const full = j.bytes(true);
    writeFileSync(path, Buffer.concat([full, encodeRecord({ type: RecType.TRUNC, ident: "1:2" }, full.length)]));
    damagedAt(() => validateJournal(path), full.length, "a record follows END");
  });

  test("pos that is not the offset, bit 31 of len, a bad length, an unknown type, payload not matching len", () => {
    using t = tempDir();
    const path = join(t.path, "journal");
    const first = encodeRecord({ type: RecType.TRUNC, ident: "1:2" }, 0);
    const at = (rec: Uint8Array) => Buffer.concat([first, rec, encodeRecord({ type: RecType.END, off: 2 }, 80 + rec.length)]);
    writeFileSync(path, at(encodeRecord({ type: RecType.TRUNC, ident: "1:2" }, 64)));
    damagedAt(() => validateJournal(path), 80, "record says it is at position 64");
    const committed = encodeRecord({ type: RecType.TRUNC, ident: "1:2" }, 80);
    committed[3]! |= 0x80;
    writeFileSync(path, at(committed));
    damagedAt(() => validateJournal(path), 80, "bit 31");
    const odd = encodeRecord({ type: RecType.TRUNC, ident: "1:2" }, 80);
    odd[0] = 84;
    writeFileSync(path, at(odd));
    damagedAt(() => validateJournal(path), 80, "bad record length 84");
    writeFileSync(path, at(encodeRecord({ type: 9 }, 80)));
    damagedAt(() => validateJournal(path), 80, "unknown record type 9");
    writeFileSync(path, at(encodeRecord({ type: RecType.WRITE, ident: "1:2", data: enc.encode("abc"), count: 30 }, 80)));
    damagedAt(() => validateJournal(path), 80, "does not match its payload of 30 bytes");
  });

  test("a missing journal is named", () => {
    using t = tempDir();
    expect(() => validateJournal(join(t.path, "journal"))).toThrow(/journal is missing/);
  });
});

describe("contentRecords", () => {
  test("streams records across buffer refills in order, with their data", () => {
    using t = tempDir();
    const path = join(t.path, "journal");
    const j = new JournalBuilder();
    const big = (k: number) => new Uint8Array((1 << 20) - 8 * k).fill(k); // 20 × ~1 MiB > the 8 MiB buffer
    for (let k = 0; k < 20; k++) {
      j.add({ type: RecType.WRITE, ident: `1:${k}`, off: k * 7, data: big(k) });
      j.add({ type: RecType.CHMOD, ident: "1:1", mode: 0o644 });
      j.add({ type: RecType.FALLOC, ident: `2:${k}`, mode: 16, off: k, count: 2 * k });
    }
    writeFileSync(path, j.bytes());
    expect(validateJournal(path).records).toBe(60);
    const seen: string[] = [];
    let pos = 0;
    for (const r of contentRecords(path)) {
      expect(r.pos).toBeGreaterThanOrEqual(pos);
      pos = r.pos;
      if (r.type === RecType.WRITE) {
        const k = Number(r.ident.split(":")[1]);
        expect(r.data.length).toBe((1 << 20) - 8 * k);
        expect(r.data[0]).toBe(k);
        expect(r.data[r.data.length - 1]).toBe(k);
        seen.push(`W ${r.ident} ${r.off}`);
      } else seen.push(`F ${r.ident} ${r.mode} ${r.off} ${r.count}`);
    }
    expect(seen.length).toBe(40);
    expect(seen.slice(0, 4)).toEqual(["W 1:0 0", "F 2:0 16 0 0", "W 1:1 7", "F 2:1 16 1 2"]);
    expect(seen.at(-1)).toBe("F 2:19 16 19 38");
  });
});
