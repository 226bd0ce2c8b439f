// The copier's promise (shim/common/unread.c): writes to what a registered file's copy has not read yet are left out
// of the journal, because the copy reads them; everything else is journaled, and a byte once journaled is
// never left out again. The raw and replica oracles prove whole backups exact with it; these pin the rules.
import { describe, expect, test } from "bun:test";
import { mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Capture } from "../../src/capture/control";
import { CopyPool } from "../../src/copy/pool";
import { captured } from "../helpers/capture";
import { tempDir } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

const MiB = 1 << 20;

function promise(cap: Capture, path: string): { dev: bigint; ino: bigint } {
  const st = statSync(path, { bigint: true });
  expect(cap.registerUnread([{ dev: st.dev, ino: st.ino }])).toBe(1);
  return { dev: st.dev, ino: st.ino };
}

async function copyWhole(cap: Capture, src: string, dst: string, id: { dev: bigint; ino: bigint }) {
  const pool = new CopyPool(1, 0);
  const slot = cap.unreadSlot(id.dev, id.ino);
  expect(slot).not.toBeNull();
  pool.submit(openSync(src, "r"), openSync(dst, "wx+", 0o600), src, () => {}, undefined, slot);
  await pool.waitBelow(0);
  pool.close();
}

const writes = (records: { type: number; off: number; data: string }[]) =>
  records.filter((r) => r.type === 1).map((r) => `${r.off}:${r.data}`);

describe("writes the copy will read", () => {
  test("are left out until the copy reads them, appends included; after the copy they are journaled", async () => {
    await using tmp = tempDir("unread");
    const dir = join(tmp.path, "data");
    mkdirSync(dir);
    const a = join(dir, "a");
    writeFileSync(a, Buffer.alloc(4 * MiB, 7));
    await using s = await Scribbler.start();
    let skips = -1;
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async (cap) => {
      const id = promise(cap, a);
      await s.ok(`write ${a} ${3 * MiB} UNREAD`);
      await s.ok(`write ${a} ${4 * MiB} TAIL`);
      await copyWhole(cap, a, join(tmp.path, "copy"), id);
      await s.ok(`write ${a} ${MiB} READ`);
      skips = cap.status().unreadSkips;
    });
    expect(writes(records)).toEqual([`${MiB}:READ`]);
    expect(skips).toBe(2);
    const copy = readFileSync(join(tmp.path, "copy"));
    expect(copy.toString("utf8", 3 * MiB, 3 * MiB + 6)).toBe("UNREAD"); // the copy has what was left out
    expect(copy.toString("utf8", 4 * MiB)).toBe("TAIL");
  });

  test("a truncate, a write across the window's edge, and a file back from outside the roots are journaled from then on", async () => {
    await using tmp = tempDir("unread");
    const dir = join(tmp.path, "data");
    const outside = join(tmp.path, "outside");
    mkdirSync(dir);
    mkdirSync(outside);
    const b = join(dir, "b");
    const c = join(dir, "c");
    writeFileSync(b, Buffer.alloc(1000, 1));
    writeFileSync(c, Buffer.alloc(1000, 1));
    await using s = await Scribbler.start();
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async (cap) => {
      promise(cap, b);
      promise(cap, c);
      await s.ok(`write ${b} 100 IN`);
      await s.ok(`truncate ${b} 500`);
      await s.ok(`write ${b} 600 CUT`); // gone from the window with the truncate
      await s.ok(`write ${b} 490 ACROSS-THE-END`); // [490, 504): not all of it in the window
      await s.ok(`write ${b} 495 AGAIN`); // once journaled, never left out
      await s.ok(`write ${b} 200 STILL`);
      await s.ok(`rename ${c} ${outside}/c`);
      await s.ok(`rename ${outside}/c ${c}`); // not what the copier registered: writes while outside were not seen
      await s.ok(`write ${c} 10 BACK`);
    });
    expect(writes(records)).toEqual(["600:CUT", "490:ACROSS-THE-END", "495:AGAIN", "10:BACK"]);
  });
});
