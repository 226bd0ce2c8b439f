// hb prepare: size changes (TRUNC, every FALLOC mode) replayed over copies, and the final modes (step 6).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setHolePunching } from "../../src/libc";
import { prepareBackup } from "../../src/prepare";
import { tempDir } from "../helpers/harness";
import { Backup, DIR, dir, file, NEW, REG, snapshot } from "./prepare-fixture";

const R = "1:1";
const KEEP = 1, PUNCH = 2, COLLAPSE = 8, ZERO = 16, INSERT = 32;

function setup() {
  const t = tempDir("hb-prepare");
  const dest = join(t.path, "backup");
  return { t, b: new Backup(dest).root(R), dest };
}

const z = (n: number) => "\0".repeat(n);

/** Each file: [name, copy content, records to add, expected content]. */
const cases: [string, string, (b: Backup, id: string) => void, string][] = [
  ["trunc-shrink", "0123456789", (b, id) => b.trunc(id, 4), "0123"],
  ["trunc-then-write-past-end", "0123456789", (b, id) => (b.trunc(id, 2), b.write(id, 5, "x")), `01${z(3)}x`],
  ["trunc-grow", "ab", (b, id) => b.trunc(id, 5), `ab${z(3)}`],
  ["falloc-0-grows", "abc", (b, id) => b.falloc(id, 0, 2, 6), `abc${z(5)}`],
  ["falloc-0-inside", "abcdef", (b, id) => b.falloc(id, 0, 0, 2), "abcdef"],
  ["falloc-keep-size", "abc", (b, id) => b.falloc(id, KEEP, 0, 100), "abc"],
  ["falloc-punch", "abcdefgh", (b, id) => b.falloc(id, PUNCH | KEEP, 2, 3), `ab${z(3)}fgh`],
  ["falloc-punch-past-end", "abcdefgh", (b, id) => b.falloc(id, PUNCH | KEEP, 6, 100), `abcdef${z(2)}`],
  ["falloc-zero-extends", "abcdefgh", (b, id) => b.falloc(id, ZERO, 6, 4), `abcdef${z(4)}`],
  ["falloc-zero-keep", "abcdefgh", (b, id) => b.falloc(id, ZERO | KEEP, 6, 4), `abcdef${z(2)}`],
  ["falloc-zero-inside", "abcdefgh", (b, id) => b.falloc(id, ZERO, 1, 2), `a${z(2)}defgh`],
  ["falloc-collapse", "abcdefgh", (b, id) => b.falloc(id, COLLAPSE, 2, 3), "abfgh"],
  ["falloc-insert", "abcdefgh", (b, id) => b.falloc(id, INSERT, 2, 2), `ab${z(2)}cdefgh`],
  ["falloc-insert-more-than-tail", "abcd", (b, id) => b.falloc(id, INSERT, 3, 5), `abc${z(5)}d`],
  ["falloc-then-write", "abcdefgh", (b, id) => (b.falloc(id, PUNCH | KEEP, 0, 8), b.write(id, 3, "Q")), `${z(3)}Q${z(4)}`],
];

describe("prepare replays size changes", () => {
  afterEach(() => setHolePunching(true));

  for (const punching of [true, false])
    test(`TRUNC and every FALLOC mode (${punching ? "holes punched" : "zeros written"})`, async () => {
      setHolePunching(punching);
      const { t, b, dest } = setup();
      using _ = t;
      b.list(
        R,
        DIR | 0o755,
        cases.map(([name], k) => [name, `1:${100 + k}`, REG | 0o644]),
      );
      cases.forEach(([, content], k) => b.copy(`1:${100 + k}`, content));
      cases.forEach(([, , records], k) => records(b, `1:${100 + k}`));
      b.finish();
      await prepareBackup(dest, { quiet: true });
      const want = Object.fromEntries(cases.map(([name, , , content]) => [name, file(0o644, content)]));
      expect(snapshot(dest)).toEqual(want);
    });

  test("large ranges: punch, collapse and insert move and zero more than one chunk", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    const MiB = 1 << 20;
    const data = new Uint8Array(3 * MiB).map((_, i) => (i * 2654435761) >>> 24 || 1);
    b.list(R, DIR | 0o755, [
      ["punch", "1:2", REG | 0o644],
      ["collapse", "1:3", REG | 0o644],
      ["insert", "1:4", REG | 0o644],
    ]);
    b.copy("1:2", data);
    b.copy("1:3", data);
    b.copy("1:4", data);
    b.falloc("1:2", PUNCH | KEEP, MiB, 1.5 * MiB);
    b.falloc("1:3", COLLAPSE, 4096, MiB + 8192);
    b.falloc("1:4", INSERT, 100, 1.5 * MiB);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    const read = (name: string) => new Uint8Array(readFileSync(join(dest, name)));
    const punched = data.slice();
    punched.fill(0, MiB, 2.5 * MiB);
    const collapsed = new Uint8Array([...data.subarray(0, 4096), ...data.subarray(4096 + MiB + 8192)]);
    const inserted = new Uint8Array(data.length + 1.5 * MiB);
    inserted.set(data.subarray(0, 100), 0);
    inserted.set(data.subarray(100), 100 + 1.5 * MiB);
    expect(Buffer.from(read("punch")).equals(Buffer.from(punched))).toBe(true);
    expect(Buffer.from(read("collapse")).equals(Buffer.from(collapsed))).toBe(true);
    expect(Buffer.from(read("insert")).equals(Buffer.from(inserted))).toBe(true);
  });
});

describe("prepare sets the final modes (step 6)", () => {
  test("CHMOD after a copy wins; a mode observed after a CHMOD wins; a CHMOD at the copy's seq wins", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["after-copy", "1:2", REG | 0o644],
      ["observed-later", "1:3", REG | 0o644],
      ["same-position", "1:4", REG | 0o644],
      ["d", "1:5", DIR | 0o755],
      ["L", "1:7", DIR | 0o755],
    ]);
    b.list("1:5", DIR | 0o755, []);
    b.copy("1:2", "a", REG | 0o644);
    b.chmod("1:2", REG | 0o600);
    b.chmod("1:3", REG | 0o700);
    b.copy("1:3", "b", REG | 0o640); // changed by someone the journal does not see, after the CHMOD
    b.copy("1:4", "c", REG | 0o644); // seq = the position of the CHMOD below
    b.chmod("1:4", REG | 0o604);
    b.chmod("1:5", DIR | 0o701);
    b.copy("1:6", "e", REG | 0o644);
    b.chmod("1:6", REG | 0o666);
    b.list("1:7", DIR | 0o755, [["listed-later", "1:6", REG | 0o660]]); // listed after the CHMOD: observes 0660
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({
      "after-copy": file(0o600, "a"),
      "observed-later": file(0o640, "b"),
      "same-position": file(0o604, "c"),
      d: dir(0o701),
      L: dir(0o755),
      "L/listed-later": file(0o660, "e"),
    });
  });

  test("a NEW bind gives a created file its mode; a renaming BIND's stale mode does not undo a CHMOD", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [["f", "1:2", REG | 0o644]]);
    b.copy("1:2", "f");
    b.chmod("1:2", REG | 0o600);
    b.unbind(R, "f", "1:2");
    b.bind(R, "g", "1:2", REG | 0o644); // st_mode read before the rename, while an fchmod was under way
    b.bind(R, "n", "1:3", REG | 0o640, NEW);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ g: file(0o600, "f"), n: file(0o640, "") });
  });

  test("special bits survive", async () => {
    const { t, b, dest } = setup();
    using _ = t;
    b.list(R, DIR | 0o755, [
      ["sticky", "1:2", DIR | 0o1777],
      ["x", "1:3", REG | 0o755],
    ]);
    b.list("1:2", DIR | 0o1777, []);
    b.copy("1:3", "#!");
    b.chmod("1:3", REG | 0o2755);
    b.finish();
    await prepareBackup(dest, { quiet: true });
    expect(snapshot(dest)).toEqual({ sticky: dir(0o1777), x: file(0o2755, "#!") });
  });
});
