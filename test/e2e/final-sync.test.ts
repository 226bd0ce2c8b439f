// The end of a backup makes the backup durable, and only the backup: on a filesystem the server shares, a
// syncfs also wrote out the server's dirty pages (its binlog, tens of MiB under load) in one burst that the
// server's commits queued behind.
import { expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

const dirtyMiB = () => Number(/^Dirty:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) / 1024;

test("a finished backup leaves another file's unsynced pages on the same filesystem unsynced", async () => {
  await using tmp = tempDir("final-sync");
  const src = join(tmp.path, "src");
  mkdirSync(src);
  for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}`), Buffer.alloc(1 << 20, i));
  await using owner = await Scribbler.start();
  // Someone else's writes, not synced: 256 MiB the kernel holds for up to 30 s before writing them.
  const other = openSync(join(tmp.path, "someone-else"), "w");
  const block = Buffer.alloc(1 << 20, 7);
  for (let i = 0; i < 256; i++) writeSync(other, block);
  closeSync(other);
  const before = dirtyMiB();
  expect(before).toBeGreaterThan(200);
  const r = await run([HB, "backup", "--raw", "--json", "--source", src, "--pid", String(owner.pid), join(tmp.path, "b")]);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).bytesCopied).toBe(4 << 20);
  expect(dirtyMiB()).toBeGreaterThan(before - 64); // a syncfs would have written all 256 MiB out
}, 60_000);
