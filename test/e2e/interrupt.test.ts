// SIGTERM or SIGINT during a backup: the capture ends, what the backup wrote is removed (DEST, which it made), exit 130.
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../../src/capture/control";
import { HB, spawnBg, tempDir, waitFor } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

for (const signal of ["SIGTERM", "SIGINT"] as const)
  test(`${signal} mid-copy: exit 130, capture ended, DEST removed`, async () => {
    await using tmp = tempDir("interrupt");
    const src = join(tmp.path, "src");
    mkdirSync(src);
    writeFileSync(join(src, "big"), Buffer.alloc(16 << 20, 1));
    await using owner = await Scribbler.start(); // a process running with the shim, up and answering
    const dest = join(tmp.path, "b");
    const hb = spawnBg([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), "--throttle", "2M", dest], { stderr: "pipe" });
    const status = () => {
      const cap = Capture.attach(owner.pid);
      try {
        return cap.status().state;
      } finally {
        cap.detach();
      }
    };
    await waitFor(() => status() === "active", { what: "the capture to begin" });
    const sent = performance.now();
    hb.kill(signal);
    const [stderr, code] = await Promise.all([new Response(hb.stderr as ReadableStream).text(), hb.exited]);
    expect(performance.now() - sent).toBeLessThan(3000); // the copy threads stop at their next chunk, not at the file's end
    expect(code).toBe(130);
    expect(stderr).toContain(`interrupted by ${signal}`);
    expect(status()).not.toBe("active");
    expect(stderr).toContain(`the backup failed: removed what it wrote in ${dest}`);
    expect(existsSync(dest)).toBe(false);
  }, 60_000);
