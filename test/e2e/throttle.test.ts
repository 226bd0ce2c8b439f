// The copy throttle holds its rate (generous bounds here; exact figures in bench/).
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

test("--throttle 4M copies 12 MiB in about 3 s (±20%) with two copy threads sharing the rate", async () => {
  await using tmp = tempDir("throttle");
  const src = join(tmp.path, "src");
  mkdirSync(src);
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}`), Buffer.alloc(2 << 20, i));
  await using owner = await Scribbler.start(); // a process running with the shim, up and answering
  const r = await run([HB, "backup", "--raw", "--json", "--parallel", "2", "--source", src, "--pid", String(owner.pid), "--throttle", "4M", join(tmp.path, "b")]);
  expect(r.code).toBe(0);
  const { bytesCopied, copyMs } = JSON.parse(r.stdout);
  expect(bytesCopied).toBe(12 << 20);
  const rate = bytesCopied / (1 << 20) / (copyMs / 1000);
  expect(rate).toBeGreaterThan(4 * 0.8);
  expect(rate).toBeLessThan(4 * 1.2);
}, 60_000);
