// hb prepare SIGKILLed at every step of a backup that has every kind of record (WRITE, TRUNC, every FALLOC
// mode including the collapse and insert that move bytes), every kind of entry (directories closed to
// writing, hard links, symlinks, a file made during the backup, one copy used for two files), then run
// again: it exits 0 and the result is byte for byte the one of a prepare never interrupted, with the same
// hash list, hb verify passing and nothing of prepare's scratch left. HB_PREPARE_KILL picks the step.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readState, recordPath } from "../../src/dest";
import { FL } from "../../src/prepare/falloc";
import { KILL_POINTS } from "../../src/prepare/fault";
import { HB, run, tempDir } from "../helpers/harness";
import { Backup, DIR, file, LNK, NEW, REG, snapshot } from "../unit/prepare-fixture";

const tmp = tempDir("hb-prepare-restart");
const R = "1:1";
const orig = join(tmp.path, "orig");
let reference: { tree: Record<string, string>; hashes: string };

const z = (n: number) => "\0".repeat(n);

/** The backup every run starts from. Its records are chosen so that applying any of them twice, or out of
 * order, over what a killed run left would change the result. */
function buildFixture(dest: string): void {
  const b = new Backup(dest).root(R);
  b.list(R, DIR | 0o755, [
    ["ro", "1:2", DIR | 0o555],
    ["w", "1:3", REG | 0o644],
    ["t", "1:4", REG | 0o640],
    ["f", "1:5", REG | 0o644],
    ["s", "1:6", REG | 0o444],
    ["link", "1:7", LNK | 0o777, "w"],
    ["p", "1:8", REG | 0o644],
    ["q", "1:9", REG | 0o644],
  ]);
  b.list("1:2", DIR | 0o555, [["inner", "1:10", REG | 0o600]]);
  b.copy("1:3", "0123456789abcdef");
  b.copy("1:4", "the quick brown fox jumps", REG | 0o640);
  b.copy("1:5", "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  b.copy("1:6", "shift me around, please", REG | 0o444);
  const shared = b.copy("1:8", "same");
  b.copies.push({ ...b.copies.at(-1)!, ident: "1:9", file: shared });
  b.copy("1:10", "inside a closed directory", REG | 0o600);
  // WRITE: overlapping writes, one past the end, one after a shrink that leaves a gap of zeros
  b.write("1:3", 4, "XXXX");
  b.write("1:3", 6, "yy");
  b.write("1:3", 20, "past the end");
  b.trunc("1:3", 10);
  b.write("1:3", 14, "gap");
  b.write("1:10", 0, "INSIDE");
  b.write("1:9", 0, "S");
  // TRUNC down and up, then writes into what the extension made
  b.trunc("1:4", 9);
  b.trunc("1:4", 30);
  b.write("1:4", 12, "fox");
  b.trunc("1:4", 14);
  // every FALLOC mode that changes bytes or size
  b.falloc("1:5", 0, 20, 16); // grows to 36
  b.write("1:5", 30, "tail");
  b.falloc("1:5", FL.PUNCH_HOLE | FL.KEEP_SIZE, 2, 4);
  b.falloc("1:5", FL.ZERO_RANGE, 34, 6); // grows to 40
  b.falloc("1:5", FL.ZERO_RANGE | FL.KEEP_SIZE, 8, 2);
  b.falloc("1:5", FL.KEEP_SIZE, 0, 100);
  b.falloc("1:5", FL.PUNCH_HOLE | FL.KEEP_SIZE, 38, 50);
  // collapse and insert move bytes: applied twice they would move them twice
  b.falloc("1:6", FL.COLLAPSE_RANGE, 0, 6); // "shift me around…" loses "shift "
  b.write("1:6", 0, "M");
  b.falloc("1:6", FL.INSERT_RANGE, 2, 3);
  b.write("1:6", 3, "!");
  b.falloc("1:6", FL.COLLAPSE_RANGE, 10, 4);
  // a file made during the backup, hard-linked twice, and a symlink made too
  b.bind(R, "new", "1:11", REG | 0o600, NEW);
  b.write("1:11", 0, "born during the backup");
  b.falloc("1:11", FL.INSERT_RANGE, 4, 2);
  b.bind("1:2", "new-link", "1:11", REG | 0o600);
  b.bind(R, "sub", "1:12", DIR | 0o700, NEW);
  b.bind("1:12", "new-link2", "1:11", REG | 0o600);
  b.bind("1:12", "to-new", "1:13", LNK | 0o777, NEW, "../new");
  b.finish();
}

/** A fresh copy of the unprepared fixture. */
async function fresh(name: string): Promise<string> {
  const dest = join(tmp.path, name);
  expect((await run(["cp", "-a", orig, dest])).code).toBe(0);
  return dest;
}

const prepare = (dest: string, kill?: string) => run([HB, "prepare", dest], { env: kill ? { HB_PREPARE_KILL: kill } : {}, timeoutMs: 60_000 });

/** The prepared tree, hb's own records left out. */
const tree = (dest: string) => Object.fromEntries(Object.entries(snapshot(dest)).filter(([path]) => !path.startsWith("hb_")));
const hashList = (dest: string) => readFileSync(recordPath(dest, "hashes"), "utf8");

/** DEST is prepared exactly as the uninterrupted prepare left its copy, and hb verify agrees. */
async function assertAsReference(dest: string): Promise<void> {
  expect(tree(dest)).toEqual(reference.tree);
  expect(hashList(dest)).toBe(reference.hashes);
  expect(readState(dest)).toBe("prepared");
  expect(readdirSync(dest).filter((n) => n.startsWith("hb_") || n === ".hb").sort()).toEqual(["hb_hashes.json", "hb_manifest.json", "hb_state.txt"]);
  const verify = await run([HB, "verify", dest]);
  expect(verify.stderr).toContain("entries verified");
  expect(verify.code).toBe(0);
}

beforeAll(async () => {
  buildFixture(orig);
  const dest = await fresh("reference");
  const r = await prepare(dest);
  expect(r.code).toBe(0);
  reference = { tree: tree(dest), hashes: hashList(dest) };
});

afterAll(() => tmp[Symbol.dispose]());

describe("the uninterrupted prepare", () => {
  test("gives what the records say (so the kills below are compared with the right thing)", () => {
    expect(reference.tree).toEqual({
      w: file(0o644, `0123XXyy89${z(4)}gap`),
      t: file(0o640, `the quick${z(3)}fo`),
      f: file(0o644, `AB${z(4)}GH${z(2)}KLMNOPQRSTUVWXYZ${z(4)}tail${z(6)}`),
      s: file(0o444, `Me${z(1)}!${z(1)} arouplease`),
      p: file(0o644, "same"),
      q: file(0o644, "Same"),
      ro: "dir 555",
      "ro/inner": file(0o600, "INSIDE a closed directory"),
      link: "link -> w",
      new: file(0o600, `born${z(2)} during the backup`),
      "ro/new-link": file(0o600, `born${z(2)} during the backup`),
      sub: "dir 700",
      "sub/new-link2": file(0o600, `born${z(2)} during the backup`),
      "sub/to-new": "link -> ../new",
      "links: new ro/new-link sub/new-link2": "",
    });
  });
});

/** Runs prepare killed at `point`:n for n = 1, 2, … until a run is not killed; each killed one is run again. */
async function killEvery(point: string, after?: string): Promise<number> {
  let killed = 0;
  for (let n = 1; ; n++) {
    const dest = await fresh(`${point}-${n}${after ? `-then-${after}` : ""}`);
    const first = await prepare(dest, `${point}:${n}`);
    if (first.signal === null) {
      expect(first.code).toBe(0); // past the last such step: an ordinary prepare
      await assertAsReference(dest);
      return killed;
    }
    expect(first.signal).toBe("SIGKILL");
    const state = readState(dest);
    expect(state).toBe(point === "seal" ? "prepared" : "preparing"); // "prepared" only once everything is on disk
    killed++;
    if (after) {
      const second = await prepare(dest, after); // killed again, early in the re-run
      expect(second.signal).toBe("SIGKILL");
    }
    const again = await prepare(dest);
    if (again.code !== 0) console.error(again.stderr);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(state === "preparing" ? "was interrupted" : "already prepared");
    await assertAsReference(dest);
  }
}

describe("hb prepare SIGKILLed, then run again", () => {
  const expected: Record<string, number> = { tree: 14, write: 11, trunc: 4, falloc: 10, chmod: 8, move: 10, place: 0, hash: 10, phase: 8, done: 8, recover: 0, recovered: 0, seal: 1 };
  for (const point of KILL_POINTS)
    test(`at every ${point}: the same result as a prepare never interrupted`, async () => {
      const killed = await killEvery(point);
      expect(killed).toBe(expected[point]!); // every such step was reached, and killed
    }, 300_000);

  for (const [point, after] of [["write", "write:1"], ["falloc", "falloc:1"], ["move", "move:1"], ["phase", "phase:1"]] as const)
    test(`at every ${point}, and again at the first ${after.split(":")[0]} of the re-run`, async () => {
      expect(await killEvery(point, after)).toBeGreaterThan(0);
    }, 300_000);
});

test("an unknown kill point is a usage error, not a prepare that runs unkilled", async () => {
  const dest = await fresh("typo");
  const r = await prepare(dest, "wirte:1");
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("HB_PREPARE_KILL");
  expect(existsSync(join(dest, ".hb", "data"))).toBe(true);
});
