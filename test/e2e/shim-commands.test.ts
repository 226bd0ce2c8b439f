// hb shim status and hb shim install, as a DBA runs them.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HB, ROOT, run, tempDir } from "../helpers/harness";
import { startMariaDB } from "../helpers/mariadb";
import { Scribbler } from "../helpers/scribbler";
import { SHIM_PROTOCOL } from "../../src/version";

describe("hb shim status", () => {
  test("--pid: loaded and idle (exit 0); without the shim: exit 5", async () => {
    await using s = await Scribbler.start();
    const r = await run([HB, "shim", "status", "--json", "--pid", String(s.pid)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pid: s.pid, shim: true, protocol: SHIM_PROTOCOL, compatible: true, capture: { state: "idle" } });
    await using plain = await Scribbler.start({});
    const none = await run([HB, "shim", "status", "--pid", String(plain.pid)]);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain("does not run with the hb shim");
  });

  test("over SQL: finds the server's pid and its shim", async () => {
    await using server = await startMariaDB({ binlog: false });
    const r = await run([HB, "shim", "status", "--socket", server.socket, "--user", "root"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pid ${server.pid}: shim loaded, protocol ${SHIM_PROTOCOL}; capture idle`);
    // README quotes that line: it must be what this binary prints.
    const quoted = /`hb shim status --socket …` says `pid N: (shim loaded, protocol \d+; capture idle);/.exec(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(quoted).not.toBeNull();
    expect(r.stdout).toContain(`pid ${server.pid}: ${quoted![1]}`);
  }, 60_000);
});

describe("hb shim install", () => {
  test("--print writes nothing and shows the drop-in", async () => {
    await using tmp = tempDir("install-print");
    const r = await run([HB, "shim", "install", "--print", "--unit", "mariadb", "--systemd-dir", tmp.path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# ${tmp.path}/mariadb.service.d/hb.conf\n`);
    expect(r.stdout).toContain("[Service]\nEnvironment=LD_PRELOAD=");
    expect(r.stdout).toContain("systemctl daemon-reload && systemctl restart mariadb.service");
    expect((await run(["ls", "-A", tmp.path])).stdout).toBe("");
  });

  test("writes the shim and a drop-in preloading it; a second run changes nothing", async () => {
    await using tmp = tempDir("install");
    const args = [HB, "shim", "install", "--json", "--systemd-dir", join(tmp.path, "systemd"), "--dir", join(tmp.path, "lib")];
    const first = JSON.parse((await run(args)).stdout);
    expect(first.changed).toBe(true);
    expect(readFileSync(first.dropIn, "utf8")).toContain(`Environment=LD_PRELOAD=${first.shim}\n`);
    expect(first.shim).toMatch(new RegExp(`^${tmp.path}/lib/libhbshim-`));
    const second = JSON.parse((await run(args)).stdout);
    expect(second).toMatchObject({ changed: false, shim: first.shim, dropIn: first.dropIn });
  });
});
