// What the journal says moved, the copier fetches from where the journal has it now; the end of the capture
// refuses only what neither the copies nor the journal can rebuild, and names it (docs/capture.md, "The
// copier finds what moved"). Each case stops hb after it listed the source's top directory (HB_DEBUG_SYNC)
// and moves things about while it is stopped.
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileC } from "../helpers/cc";
import { captureStatus, hbBackupPausedAt } from "../helpers/faults";
import { HB, run, SHIM, tempDir, waitFor } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";
import { compareTrees } from "../helpers/tree";

const HB_TOP = (name: string) => name === ".hb" || name.startsWith("hb_");

/** src/top (so the top directory registers files, where hb pauses), src/a/x, and an empty dir beside src. */
function source(root: string) {
  const src = join(root, "src");
  mkdirSync(join(src, "a"), { recursive: true });
  mkdirSync(join(root, "away"));
  writeFileSync(join(src, "top"), "in the top directory");
  writeFileSync(join(src, "a", "x"), "x, there before the backup");
  return { src, dest: join(root, "backup"), away: join(root, "away") };
}

test("a file moved under a directory made during the backup, which then moved too, is copied from where the journal has it", async () => {
  await using tmp = tempDir("moved-under-new");
  const { src, dest } = source(tmp.path);
  await using s = await Scribbler.start({ LD_PRELOAD: SHIM });
  await using hb = await hbBackupPausedAt(["--raw", "--source", src, "--pid", String(s.pid), dest], "listed");
  // a is not listed yet, N never will be (made after the listing of its parent): only the journal knows x is in M.
  await s.ok(`mkdir ${src}/N`);
  await s.ok(`rename ${src}/a/x ${src}/N/x`);
  await s.ok(`rename ${src}/N ${src}/M`);
  hb.proc.kill("SIGCONT");
  expect(await hb.exited).toBe(0);
  expect(hb.stderr()).toContain("backup complete");
  expect((await run([HB, "prepare", dest])).code).toBe(0);
  expect(readFileSync(join(dest, "M", "x"), "utf8")).toBe("x, there before the backup");
  expect(await compareTrees(dest, src, { ignoreTop: HB_TOP })).toEqual([]);
}, 60_000);

test("a file moved under a directory that then left the source is not asked for: it is not in the backup", async () => {
  await using tmp = tempDir("moved-then-out");
  const { src, dest, away } = source(tmp.path);
  await using s = await Scribbler.start({ LD_PRELOAD: SHIM });
  await using hb = await hbBackupPausedAt(["--raw", "--source", src, "--pid", String(s.pid), dest], "listed");
  await s.ok(`mkdir ${src}/N`);
  await s.ok(`rename ${src}/a/x ${src}/N/x`);
  await s.ok(`rename ${src}/N ${away}/N`);
  hb.proc.kill("SIGCONT");
  expect(await hb.exited).toBe(0);
  expect((await run([HB, "prepare", dest])).code).toBe(0);
  expect(existsSync(join(dest, "N"))).toBe(false);
  expect(await compareTrees(dest, src, { ignoreTop: HB_TOP })).toEqual([]);
}, 60_000);

test("a file that comes in from outside while the capture ends is refused, by its path and why", async () => {
  await using tmp = tempDir("came-in-at-end");
  const { src, dest } = source(tmp.path);
  const outside = join(tmp.path, "hold-outside"); // its name makes hold-open.c stop the rename out of it
  mkdirSync(outside);
  writeFileSync(join(outside, "y"), "written outside the source");
  const hold = compileC(join(import.meta.dir, "hold-open.c"), ["-shared", "-fPIC", "-ldl"]);
  await using s = await Scribbler.start({ LD_PRELOAD: `${SHIM}:${hold}`, HB_TEST_HOLD_DIR: tmp.path });
  await using hb = await hbBackupPausedAt(["--raw", "--source", src, "--pid", String(s.pid), dest], "copy");
  const renamed = s.do(`rename ${outside}/y ${src}/y`); // held before the rename itself: it saw the capture active
  await waitFor(() => existsSync(join(tmp.path, "held")), { what: "the rename to be held" });
  hb.proc.kill("SIGCONT");
  await waitFor(() => captureStatus(s.pid).state === "ending", { what: "hb to end the capture" }); // waiting for the rename
  writeFileSync(join(tmp.path, "go"), "");
  expect(await renamed).toBe("ok");
  expect(await hb.exited).toBe(9);
  expect(hb.stderr()).toMatch(
    new RegExp(`this backup cannot rebuild ${src}/y: came into the roots from outside while the capture was ending \\(journal byte \\d+\\) and was not copied after: what was written to it outside is in no journal\\nhint: run the backup again`),
  );
}, 60_000);
