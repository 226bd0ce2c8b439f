// The CLI's contract with scripts: exit codes, where output goes, --help, --version, `hb shim path`.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { HB, SHIM, run, tempDir } from "../helpers/harness";
import { SHIM_PROTOCOL } from "../../src/version";

describe("hb", () => {
  test("--version names the shim protocol", async () => {
    const { code, stdout } = await run([HB, "--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^hb \\d+\\.\\d+\\.\\d+\\S* \\(shim protocol ${SHIM_PROTOCOL}\\)\\n$`));
  });

  test("--help lists the commands with an example, on stdout", async () => {
    const { code, stdout, stderr } = await run([HB, "--help"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    for (const word of ["backup", "prepare", "shim", "EXAMPLE"]) expect(stdout).toContain(word);
    expect(stdout).not.toContain("\x1b["); // no colours into a pipe
  });

  test("<command> --help describes that command", async () => {
    const { code, stdout } = await run([HB, "backup", "--help"]);
    expect(code).toBe(0);
    for (const word of ["--throttle", "--parallel", "--ring", "--raw", "DEST", "EXAMPLE"]) expect(stdout).toContain(word);
  });

  test("no command is a usage error", async () => {
    const { code, stderr } = await run([HB]);
    expect(code).toBe(2);
    expect(stderr).toContain("hb: missing command");
  });

  test("an unknown command is a usage error", async () => {
    const { code, stderr } = await run([HB, "restore-everything"]);
    expect(code).toBe(2);
    expect(stderr).toContain('hb: unknown command "restore-everything"');
  });

  test("an unknown option is rejected with the usage line, nothing on stdout", async () => {
    const { code, stdout, stderr } = await run([HB, "backup", "/x", "--raw", "--throtle", "5M"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toStartWith("usage: hb backup [DEST]");
    expect(stderr).toContain("hb: unknown option --throtle");
  });

  test("--no-<unknown> is rejected too", async () => {
    const { code, stderr } = await run([HB, "backup", "/x", "--no-bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("hb: unknown option --no-bogus");
  });

  test("a missing DEST is a usage error", async () => {
    const { code, stderr } = await run([HB, "backup", "--raw"]);
    expect(code).toBe(2);
    expect(stderr).toContain("hb: missing DEST");
  });

  test("an option without its value is a usage error", async () => {
    const { code, stderr } = await run([HB, "backup", "/x", "--raw", "--source", "--pid", "1"]);
    expect(code).toBe(2);
    expect(stderr).toContain("hb: option --source needs a value");
  });

  test("bad sizes and counts name the option", async () => {
    const base = [HB, "backup", "/x", "--raw", "--source", "/nonexistent", "--pid", "1"];
    const ring = await run([...base, "--ring", "lots"]);
    expect(ring.code).toBe(2);
    expect(ring.stderr).toContain('invalid --ring "lots"');
    const parallel = await run([...base, "--parallel", "65"]);
    expect(parallel.code).toBe(2);
    expect(parallel.stderr).toContain('invalid --parallel "65"');
  });

  test("backup of a server that is not there: exit 3, DEST not created", async () => {
    await using dir = tempDir("hb-noserver");
    const dest = `${dir.path}/b`;
    const { code, stderr } = await run([HB, "backup", "--socket", `${dir.path}/no.sock`, "--user", "root", dest]);
    expect(code).toBe(3);
    expect(stderr).toContain(`cannot connect to ${dir.path}/no.sock as root`);
    expect(existsSync(dest)).toBe(false);
  });
});

describe("hb shim path", () => {
  test("writes the embedded shim once, world-readable, and prints its path", async () => {
    await using dir = tempDir("hb-shim-path");
    const target = `${dir.path}/lib/hb`;
    const first = await run([HB, "shim", "path", "--dir", target]);
    expect(first.code).toBe(0);
    const path = first.stdout.trim();
    expect(path).toMatch(new RegExp(`^${target}/libhbshim-[^/]+-[0-9a-f]{12}\\.so$`));
    expect(readFileSync(path).equals(readFileSync(SHIM))).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(statSync(target).mode & 0o777).toBe(0o755);

    const inode = statSync(path).ino;
    const again = await run([HB, "shim", "path"], { env: { HB_SHIM_DIR: target } });
    expect(again.stdout.trim()).toBe(path);
    expect(statSync(path).ino).toBe(inode); // same content: left alone
  });

  test("a damaged copy is replaced by a new file, never rewritten in place", async () => {
    await using dir = tempDir("hb-shim-path");
    const path = (await run([HB, "shim", "path", "--dir", dir.path])).stdout.trim();
    await Bun.write(path, "not a library");
    const inode = statSync(path).ino;
    const { code } = await run([HB, "shim", "path", "--dir", dir.path]);
    expect(code).toBe(0);
    expect(readFileSync(path).equals(readFileSync(SHIM))).toBe(true);
    expect(statSync(path).ino).not.toBe(inode);
  });
});
