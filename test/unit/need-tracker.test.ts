// What the journal still asks of the copier, and where: an entry moved under a directory the copier never
// listed is looked for where the journal has it now; one whose directory left the roots is not asked for.
import { expect, test } from "bun:test";
import { NeedTracker, whyMissing, type NsEvent } from "../../src/capture/events";

const DIR = 0o040755;
const FILE = 0o100640;
const ROOT = "1:1";
let pos = 0;
const ev = (bind: boolean, parent: string, name: string, ident: string, mode: number, flags: { isNew?: boolean; outside?: boolean } = {}): NsEvent => ({
  pos: (pos += 128),
  bind,
  isNew: flags.isNew ?? false,
  outside: flags.outside ?? false,
  ident,
  mode,
  parent,
  name,
  absPath: `/stale/${name}`,
});
const listed = (dir: string) => (dir === ROOT ? "/src" : undefined);
const never = () => false;

/** x (there before the backup) moves from a (unlisted) into N, made during the backup; then N moves on. */
function movedUnderNewDir(): NeedTracker {
  const t = new NeedTracker();
  t.add(ev(true, ROOT, "N", "1:5", DIR, { isNew: true }));
  t.add(ev(false, "1:4", "x", "1:6", 0));
  t.add(ev(true, "1:5", "x", "1:6", FILE));
  t.add(ev(false, ROOT, "N", "1:5", 0));
  t.add(ev(true, ROOT, "M", "1:5", DIR));
  return t;
}

test("a file under a directory made during the backup is looked for where the journal has that directory now", () => {
  const open = movedUnderNewDir().open(never, listed);
  expect(open.map((n) => [n.ident, n.absPath])).toEqual([["1:6", "/src/M/x"]]);
  expect(whyMissing(open[0]!, Number.MAX_SAFE_INTEGER)).toBe(
    `/src/M/x: in the roots since before the backup, moved (journal byte ${open[0]!.pos}) and never copied: the copier did not find it where the journal had it`,
  );
  expect(movedUnderNewDir().open(() => true, listed)).toEqual([]);
});

test("a file whose directory the journal took out of the roots is not asked for", () => {
  const t = movedUnderNewDir();
  t.add(ev(false, ROOT, "M", "1:5", 0)); // moved out: no BIND follows
  expect(t.open(never, listed)).toEqual([]);
});

test("a directory from outside makes what is bound after it need a copy taken after it, and says why", () => {
  const t = new NeedTracker();
  const came = ev(true, ROOT, "o", "1:7", DIR, { outside: true });
  t.add(came);
  const moved = ev(true, ROOT, "y", "1:8", FILE);
  t.add(moved);
  const open = t.open((n) => n.after < came.pos, listed);
  expect(open.map((n) => [n.ident, n.after])).toEqual([["1:7", came.pos], ["1:8", came.pos]]);
  expect(whyMissing(open[0]!, came.pos)).toBe(
    `/src/o: came into the roots from outside while the capture was ending (journal byte ${came.pos}) and was not listed after: what was written to it outside is in no journal`,
  );
  expect(whyMissing(open[1]!, Number.MAX_SAFE_INTEGER)).toBe(
    `/src/y: moved (journal byte ${moved.pos}) after directory /stale/o came into the roots from outside (byte ${came.pos}), and was not copied after: it may have been in that directory, whose writes outside are in no journal`,
  );
});
