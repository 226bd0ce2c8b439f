// Progress: redrawn in place on a terminal (run under script(1)'s pseudo-terminal), plain lines otherwise.
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";
import { Scribbler } from "../helpers/scribbler";

test("on a terminal: one line redrawn with bytes done/total, rate, ETA, journal and file", async () => {
  await using tmp = tempDir("progress");
  const src = join(tmp.path, "src");
  mkdirSync(src);
  writeFileSync(join(src, "data.bin"), Buffer.alloc(6 << 20, 1));
  await using owner = await Scribbler.start(); // a process running with the shim, up and answering
  const cmd = `${HB} backup --raw --source ${src} --pid ${owner.pid} --throttle 4M ${join(tmp.path, "b")}`;
  const r = await run(["script", "-qec", `stty cols 160; ${cmd}`, "/dev/null"]); // a wide terminal: nothing cut
  expect(r.code).toBe(0);
  const frames = r.stdout.split("\r").filter((f) => f.includes("copying "));
  expect(frames.length).toBeGreaterThan(3); // redrawn, not printed once
  expect(r.stdout).toContain("\x1b[2K"); // each frame clears the line
  expect(frames.some((f) => /copying [\d.]+ MiB \/ 6\.0 MiB \(\d+%\) [\d.]+ MiB\/s ETA \d+s \| journal [\d.]+ MiB \| src\/data\.bin/.test(f))).toBe(true);
}, 60_000);

test("not a terminal: no carriage returns; --quiet: no progress at all", async () => {
  await using tmp = tempDir("progress-plain");
  const src = join(tmp.path, "src");
  mkdirSync(src);
  writeFileSync(join(src, "x"), "x");
  await using owner = await Scribbler.start(); // a process running with the shim, up and answering
  const plain = await run([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), join(tmp.path, "b1")]);
  expect(plain.code).toBe(0);
  expect(plain.stderr).not.toContain("\r");
  const quiet = await run([HB, "backup", "--raw", "--quiet", "--json", "--source", src, "--pid", String(owner.pid), join(tmp.path, "b2")]);
  expect(quiet.stderr).toBe("");
  expect(JSON.parse(quiet.stdout).files).toBe(1);
}, 60_000);

test("the total counts only what the backup copies: a large binary log left out is not in it", async () => {
  await using server = await startMariaDB({ binlog: true });
  writeFileSync(join(server.datadir, "binlog.000042"), Buffer.alloc(256 << 20)); // binlogs stay out of a backup
  await using tmp = tempDir("progress-total");
  const r = await run([HB, "backup", "--socket", server.socket, "--user", "root", "--throttle", "2M", join(tmp.path, "b")]); // ~9 s
  expect(r.code).toBe(0);
  const totals = [...r.stderr.matchAll(/copying [\d.]+ MiB \/ ([\d.]+) MiB/g)].map((m) => Number(m[1]) * 2 ** 20);
  expect(totals.length).toBeGreaterThan(0); // a plain line every 5 s
  const copied = Number(/backup complete: \d+ files, (\d+) bytes/.exec(r.stderr)?.[1]);
  for (const total of totals) {
    expect(total).toBeGreaterThanOrEqual(copied * 0.95);
    expect(total).toBeLessThan(256 << 20); // the binlog would be most of it
  }
}, 120_000);
