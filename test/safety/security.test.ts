// docs/security.md, tested: hb refuses a control block with another owner or mode; a local user who may not
// read the server's files gets nothing through hb; the journal file is created new, never through a planted
// symlink; a backup is private to its owner; the password stays out of DEST and is warned about in argv.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, lstatSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { checkDest, createDest, createJournal } from "../../src/dest";
import { HbError } from "../../src/errors";
import { compileC } from "../helpers/cc";
import { thrownBy } from "../helpers/damage";
import { HB, ROOT, run, spawnBg, tempDir } from "../helpers/harness";
import { startMariaDB, type Server } from "../helpers/mariadb";
import { Scribbler } from "../helpers/scribbler";

const tmp = tempDir("security");
chmodSync(tmp.path, 0o711); // nobody may pass through (not list): the cases below decide what it may reach
afterAll(() => tmp[Symbol.dispose]());

/** A process holding a memfd named hb-ctl with this mode (and owner): an impostor or tampered block. */
async function fakeBlock(mode: string, uid?: number) {
  const exe = compileC(join(ROOT, "test/safety/fake_ctl.c"));
  const proc = spawnBg([exe, mode, ...(uid === undefined ? [] : [String(uid)])], { stdout: "pipe" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
  return {
    pid: proc.pid,
    async [Symbol.asyncDispose]() {
      proc.kill();
      await proc.exited;
    },
  };
}

const NOBODY = 65534;
const asNobody = (cmd: string[]) => ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", ...cmd];

describe("the control block: hb refuses one with another owner or mode (exit 5)", () => {
  const refusal = "refusing its control block (hb-ctl): not mode 0600 or not owned by the process's user";
  for (const [what, mode, uid] of [
    ["mode 0644", "644", undefined],
    ["mode 0660", "660", undefined],
    ["owned by nobody", "600", NOBODY],
  ] as const)
    test(what, async () => {
      await using fake = await fakeBlock(mode, uid);
      const status = await run([HB, "shim", "status", "--pid", String(fake.pid)]);
      expect(status.code).toBe(5);
      expect(status.stderr).toContain(refusal);
      const dest = join(tmp.path, `fake-${mode}-${uid}`);
      const backup = await run([HB, "backup", "--raw", "--source", tmp.path, "--pid", String(fake.pid), dest]);
      expect(backup.code).toBe(5);
      expect(backup.stderr).toContain(refusal);
      expect(existsSync(dest)).toBe(false);
    });

  test("0600 and the process's own: past that check, then refused as no control block at all", async () => {
    await using fake = await fakeBlock("600");
    const status = await run([HB, "shim", "status", "--pid", String(fake.pid)]);
    expect(status.code).toBe(5);
    expect(status.stderr).toContain("is not an hb control block");
  });
});

describe("a local user who cannot read the server's files gets nothing through hb", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startMariaDB({ binlog: false });
  }, 120_000);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  test("nobody: cannot attach to the server's shim, cannot reach its socket", async () => {
    const status = await run(asNobody([HB, "shim", "status", "--pid", String(server.pid)]));
    expect(status.code).toBe(5);
    expect(status.stderr).toContain(`pid ${server.pid}: cannot open its control block (/proc/PID/fd): permission denied`);
    const shared = join(tmp.path, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o1777); // somewhere nobody may write, as /tmp
    const sql = await run(asNobody([HB, "backup", "--socket", server.socket, "--user", "root", join(shared, "b")]));
    expect(sql.code).toBe(3);
    expect(existsSync(join(shared, "b"))).toBe(false);
  }, 60_000);

  test("nobody: a raw backup of a root process's private files is refused before reading a byte", async () => {
    const src = join(tmp.path, "private-src");
    mkdirSync(src, { mode: 0o755 });
    writeFileSync(join(src, "secret"), "root's secret", { mode: 0o600 });
    const shared = join(tmp.path, "shared-raw");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    await using owner = await Scribbler.start(); // runs as root with the shim
    const dest = join(shared, "b");
    const r = await run(asNobody([HB, "backup", "--raw", "--source", src, "--pid", String(owner.pid), dest]));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("permission denied");
    expect(r.stderr).toContain("run hb as root or as the server's user");
    expect(existsSync(dest)).toBe(false);
  }, 60_000);
});

describe("the journal is created by hb, new: a planted file or symlink is refused, never followed", () => {
  const refusedWith = (fn: () => unknown, kind: string, text: string) => {
    const caught = thrownBy(fn);
    expect(caught).toBeInstanceOf(HbError);
    expect((caught as HbError).kind).toBe(kind as never);
    expect((caught as HbError).message).toContain(text);
  };

  test("a symlink at DEST/.hb/journal, to an existing file and dangling", () => {
    using t = tempDir("journal-link");
    const dest = createdDest(t.path);
    const victim = join(t.path, "victim");
    writeFileSync(victim, "do not touch");
    symlinkSync(victim, join(dest, ".hb", "journal"));
    refusedWith(() => createJournal(dest), "destination", "already exists (or is a symlink): refusing to follow or overwrite it");
    expect(readFileSync(victim, "utf8")).toBe("do not touch");
    const dest2 = createdDest(t.path, "d2");
    symlinkSync(join(t.path, "created-through-link"), join(dest2, ".hb", "journal"));
    refusedWith(() => createJournal(dest2), "destination", "refusing to follow");
    expect(existsSync(join(t.path, "created-through-link"))).toBe(false);
  });

  test("a symlink planted at DEST/.hb before hb creates it", () => {
    using t = tempDir("journal-link");
    const dest = checkDest(join(t.path, "d"), []);
    mkdirSync(dest, { mode: 0o700 });
    const elsewhere = join(t.path, "elsewhere");
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(dest, ".hb"));
    refusedWith(() => createDest(dest), "destination", "EEXIST");
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  test("the journal hb creates is a new regular file, 0600", () => {
    using t = tempDir("journal-link");
    const dest = createdDest(t.path);
    createJournal(dest);
    const st = lstatSync(join(dest, ".hb", "journal"));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });
});

function createdDest(parent: string, name = "d"): string {
  const dest = checkDest(join(parent, name), []);
  createDest(dest);
  return dest;
}

/** Every entry under dir: relative path → octal mode. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out[relative(dir, p)] = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe("backups are private; the password is masked and warned about", () => {
  const PW = "Sekr3t-pw";
  let server: Server;
  beforeAll(async () => {
    server = await startMariaDB({ binlog: true });
    await server.query("CREATE DATABASE d");
    await server.query("CREATE TABLE d.i (id INT PRIMARY KEY) ENGINE=InnoDB");
    await server.query("CREATE TABLE d.a (id INT PRIMARY KEY) ENGINE=Aria");
    await server.query("INSERT INTO d.i VALUES (1)");
    await server.query(`CREATE USER 'bk'@'localhost' IDENTIFIED BY '${PW}'`);
    await server.query("GRANT ALL ON *.* TO 'bk'@'localhost'");
  }, 120_000);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  test("under umask 000, after backup and prepare: DEST and hb's own files 0700/0600, nothing open to others", async () => {
    const dest = join(tmp.path, "private");
    const sh = (cmd: string[]) => ["sh", "-c", 'umask 000 && exec "$@"', "sh", ...cmd];
    const b = await run(sh([HB, "backup", "--socket", server.socket, "--user", "root", dest]), { timeoutMs: 120_000 });
    expect(b.code).toBe(0);
    expect(modes(dest)[".hb/journal"]).toBe("600");
    const p = await run(sh([HB, "prepare", dest]), { timeoutMs: 120_000 });
    expect(p.code).toBe(0);
    expect((lstatSync(dest).mode & 0o777).toString(8)).toBe("700");
    const all = modes(dest);
    const own = Object.entries(all).filter(([path]) => /^(\.hb(\/|$)|xtrabackup_|backup-my\.cnf$|hb_(?!root\d))/.test(path));
    expect(own.length).toBeGreaterThan(5);
    for (const [path, mode] of own) expect(`${path} ${mode}`).toBe(`${path} ${lstatSync(join(dest, path)).isDirectory() ? "700" : "600"}`);
    // The datadir's own entries keep the source's modes (part of the exact image, and restore keeps them):
    // DEST's 0700 is what keeps others out, whatever those modes are.
    for (const [path, mode] of Object.entries(all)) {
      const source = join(server.datadir, path);
      if (existsSync(source) && !own.some(([o]) => o === path))
        expect(`${path} ${mode}`).toBe(`${path} ${(lstatSync(source).mode & 0o7777).toString(8)}`);
    }
    expect(all["mysql_upgrade_info"]).toBe("644"); // world-readable in the source, and still nobody can read it:
    const peek = await run(asNobody(["cat", join(dest, "mysql_upgrade_info"), join(dest, "d", "i.ibd")]));
    expect(peek.stderr).toContain("Permission denied");
    expect(peek.stdout).toBe("");
    expect(peek.code).not.toBe(0);
  }, 120_000);

  for (const form of [[`--password=${PW}`], [`-p${PW}`], ["--password", PW]])
    test(`${form.join(" ")}: warned about, masked in xtrabackup_info, in no file of DEST`, async () => {
      const dest = join(tmp.path, `pw${form.length}${form[0]!.slice(0, 3)}`);
      const r = await run([HB, "backup", "--socket", server.socket, "--user", "bk", ...form, dest], { timeoutMs: 120_000 });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("a password on the command line can be read by any local user");
      expect(r.stderr).not.toContain(PW);
      const info = readFileSync(join(dest, "xtrabackup_info"), "utf8");
      expect(info).toMatch(/^tool_command = .*(--password=\*\*\*\*\*|-p\*\*\*\*\*|--password \*\*\*\*\*)/m);
      const grep = await run(["grep", "-rlF", PW, dest]);
      expect(grep.stdout).toBe(""); // grep prints the files that hold it
      expect(grep.code).toBe(1);
    }, 120_000);

  test("MYSQL_PWD: no warning; -p alone asks on the terminal without echo", async () => {
    const env = await run([HB, "shim", "status", "--socket", server.socket, "--user", "bk"], { env: { MYSQL_PWD: PW } });
    expect(env.code).toBe(0);
    expect(env.stderr).not.toContain("password on the command line");
    // script(1) gives hb a terminal; the password is typed after the prompt, as a person would.
    const typed = (pw: string) =>
      run(["sh", "-c", `(sleep 1; printf '%s\\n' '${pw}') | script -qec '${HB} shim status --socket ${server.socket} --user bk -p' /dev/null`]);
    const ok = await typed(PW);
    expect(ok.stdout).toContain("Enter password:");
    expect(ok.stdout).toContain(`pid ${server.pid}: shim loaded`);
    expect(ok.stdout).not.toContain(PW);
    expect(ok.code).toBe(0);
    const wrong = await typed("not-it");
    expect(wrong.stdout).toContain("cannot connect");
    expect(wrong.code).toBe(3);
    const noTty = await run([HB, "shim", "status", "--socket", server.socket, "--user", "bk", "-p"]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("asks for the password on a terminal, and there is none");
  }, 60_000);
});
