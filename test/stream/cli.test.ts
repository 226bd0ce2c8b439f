// The stream options are checked before hb connects or writes anything: each misuse is exit 2 with a message
// that says what goes with what; hb extract of an empty or foreign input is exit 10 and leaves no DIR.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HB, run, tempDir } from "../helpers/harness";

describe("stream options", () => {
  const socket = ["--socket", "/nonexistent/hb-test.sock"]; // never reached: the options fail first
  for (const [args, what] of [
    [["--compress", "/tmp/hb-never"], "--compress goes with --stream"],
    [["--encrypt-key-file", "/etc/hostname", "/tmp/hb-never"], "--encrypt-key-file goes with --stream"],
    [["--stream", "/tmp/hb-never"], "--stream writes to stdout: give no DEST"],
    [["--stream", "--json"], "--json prints on stdout"],
    [["--stream", "--compress", "--compress-level", "25"], 'invalid --compress-level "25"'],
    [["--stream", "--compress-level", "5"], "--compress-level goes with --compress"],
    [["--stream", "--stream-buffer", "1M"], "--stream-buffer must be at least 16M"],
    [[], "missing DEST (or --stream)"],
  ] as [string[], string][]) {
    test(`hb backup ${args.join(" ")}: exit 2`, async () => {
      const r = await run(["bash", "-c", `"$0" backup "$@" > /dev/null`, HB, ...socket, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(what);
      expect(existsSync("/tmp/hb-never")).toBe(false);
    });
  }

  test("hb backup --stream to a terminal is refused", async () => {
    // `script` gives hb a pseudo-terminal as stdout.
    const r = await run(["script", "-qec", `${HB} backup --socket /nonexistent/hb-test.sock --stream`, "/dev/null"]);
    expect(r.stdout).toContain("which is a terminal");
  });
});

describe("a backup that fails before it starts", () => {
  test("writes nothing to stdout; hb extract says the stream is empty", async () => {
    using t = tempDir("hb-extract");
    const r = await run(["bash", "-c", `"$0" backup --socket /nonexistent/hb-test.sock --stream 2>/dev/null | "$0" extract "$1"; echo "\${PIPESTATUS[@]}"`, HB, join(t.path, "a")]);
    expect(r.stdout.trim()).toBe("3 10");
    expect(r.stderr).toContain("the stream is empty (did the backup fail?");
    expect(existsSync(join(t.path, "a"))).toBe(false);
  });
});

describe("hb extract", () => {
  test("an empty input, or one that is not a stream: exit 10, no DIR left", async () => {
    using t = tempDir("hb-extract");
    let r = await run(["bash", "-c", `"$0" extract "$1" < /dev/null`, HB, join(t.path, "a")]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain("the stream is empty");
    expect(existsSync(join(t.path, "a"))).toBe(false);
    r = await run([HB, "extract", join(t.path, "b"), "/etc/hostname"]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/not an hb stream|ends in its header/);
    expect(existsSync(join(t.path, "b"))).toBe(false);
  });
});
