// The shim in a real process, driven call by call: what it journals, and what it must never journal.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Capture } from "../../src/capture/control";
import { parseEvents } from "../../src/capture/events";
import { captured } from "../helpers/capture";
import { compileC } from "../helpers/cc";
import { ROOT, run, SHIM, tempDir, waitFor } from "../helpers/harness";
import { Scribbler } from "../helpers/scribbler";

const ident = (path: string) => {
  const st = Bun.spawnSync(["stat", "-c", "%d:%i", path]).stdout.toString().trim();
  return st;
};

/** The drain thread's write calls and voluntary context switches (its wake-ups) so far: it runs in this process. */
function drainThreadStats() {
  const task = readdirSync("/proc/self/task").find((t) => readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim() === "hb-drain");
  if (!task) throw new Error("no hb-drain thread in this process");
  const field = (file: string, name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(readFileSync(`/proc/self/task/${task}/${file}`, "utf8"))![1]);
  return { writes: field("io", "syscw"), wakeups: field("status", "voluntary_ctxt_switches") };
}

describe("shim capture", () => {
  test("journals writes under the root, at the offset they landed, and nothing under a sibling with the same prefix", async () => {
    await using tmp = tempDir("shim-prefix");
    const dir = join(tmp.path, "data");
    const sibling = join(tmp.path, "data2");
    mkdirSync(dir);
    mkdirSync(sibling);
    writeFileSync(join(dir, "a"), "0123456789");
    writeFileSync(join(sibling, "a"), "0123456789");
    await using s = await Scribbler.start();
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async () => {
      await s.ok(`write ${dir}/a 3 XY`);
      await s.ok(`write ${sibling}/a 3 XY`);
      await s.ok(`append ${dir}/a TAIL`);
    });
    const writes = records.filter((r) => r.type === 1);
    expect(writes).toEqual([
      { type: 1, ident: ident(join(dir, "a")), off: 3, count: 2, data: "XY" },
      { type: 1, ident: ident(join(dir, "a")), off: 10, count: 4, data: "TAIL" }, // O_APPEND lands at the end
    ]);
    expect(records.at(-1)!.type).toBe(7); // END
  });

  test("journals namespace changes by identity, and marks what came in from outside", async () => {
    await using tmp = tempDir("shim-ns");
    const dir = join(tmp.path, "data");
    const outside = join(tmp.path, "elsewhere");
    mkdirSync(dir);
    mkdirSync(outside);
    writeFileSync(join(outside, "in"), "from outside");
    writeFileSync(join(dir, "out"), "leaving");
    const inIdent = ident(join(outside, "in"));
    const outIdent = ident(join(dir, "out"));
    const dirIdent = ident(dir);
    await using s = await Scribbler.start();
    const { events, records } = await captured(s, dir, join(tmp.path, "journal"), async () => {
      await s.ok(`rename ${outside}/in ${dir}/in`);
      await s.ok(`rename ${dir}/out ${outside}/out`);
      await s.ok(`mkdir ${dir}/sub`);
      await s.ok(`symlink ../in ${dir}/sub/ln`);
      await s.ok(`truncate ${dir}/in 4`);
      await s.ok(`rename ${outside}/out ${tmp.path}/out2`); // outside to outside: nothing
    });
    const summary = events.map((e) => `${e.bind ? "bind" : "unbind"} ${e.name}${e.isNew ? " new" : ""}${e.outside ? " outside" : ""}`);
    expect(summary).toEqual(["bind in outside", "unbind out", "bind sub new", "bind ln new"]);
    expect(events[0]!.ident).toBe(inIdent);
    expect(events[0]!.parent).toBe(dirIdent);
    expect(events[1]!.ident).toBe(outIdent);
    expect(events[3]!.parent).toBe(ident(join(dir, "sub")));
    expect(records.filter((r) => r.type === 2)).toEqual([{ type: 2, ident: inIdent, off: 4, count: 0, data: "" }]);
  });

  test("a rename in flight when the capture ends is journaled whole: both its records, or neither", async () => {
    await using tmp = tempDir("shim-end-rename");
    const dir = join(tmp.path, "data");
    mkdirSync(dir);
    const stall = compileC(join(ROOT, "test/shim/stall.c"), ["-shared", "-fPIC", "-ldl"]);
    await using s = await Scribbler.start({ LD_PRELOAD: `${SHIM}:${stall}`, HB_TEST_STALL_DIR: tmp.path });
    await s.ok(`symlink target ${dir}/stall-old`);
    const { events } = await captured(s, dir, join(tmp.path, "journal"), async (cap) => {
      const renamed = s.do(`rename ${dir}/stall-old ${dir}/stall-new`); // held between its UNBIND and its BIND
      await waitFor(() => existsSync(join(tmp.path, "stalled")), { what: "the rename to reach its second record" });
      // End while it is held: the rename goes on 300 ms into the end's wait for calls in flight.
      const release = Bun.spawn(["sh", "-c", `sleep 0.3; touch ${tmp.path}/go`]);
      const ended = cap.end();
      await release.exited;
      expect(await renamed).toBe("ok");
      return ended;
    });
    const summary = events.map((e) => `${e.bind ? "bind" : "unbind"} ${e.name}`);
    expect(summary).toEqual(["unbind stall-old", "bind stall-new"]);
  });

  test("the journal is written past the page cache: 32 MiB journaled leave at most the last buffer's MiB and a record cached", async () => {
    await using tmp = tempDir("shim-journal-cache");
    const dir = join(tmp.path, "data");
    mkdirSync(dir);
    const journal = join(tmp.path, "journal");
    await using s = await Scribbler.start();
    let cached = NaN;
    const { records } = await captured(
      s,
      dir,
      journal,
      async () => s.ok(`fill ${dir}/big 32`),
      async () => {
        const resident = await run([compileC(join(ROOT, "test/shim/resident.c")), journal]);
        expect(resident.code).toBe(0);
        cached = Number(resident.stdout);
      },
    );
    expect(cached).toBeLessThanOrEqual((2 << 20) + 8192); // what the end wrote through the cache; before, all 32 MiB
    const writes = records.filter((r) => r.type === 1);
    expect(writes.reduce((sum, r) => sum + r.count, 0)).toBe(32 << 20);
    for (const w of writes) expect(w.data === String.fromCharCode(97 + ((w.off >> 20) % 26)).repeat(w.count)).toBe(true);
  }, 20_000);

  test("a steady trickle of writes is drained in few wake-ups and written out a MiB at a time, not a few KiB per look", async () => {
    await using tmp = tempDir("shim-drain-pace");
    const dir = join(tmp.path, "data");
    mkdirSync(dir);
    await using s = await Scribbler.start();
    const chunk = "x".repeat(4000);
    let during = { writes: 0, wakeups: 0, ms: 0 };
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async () => {
      const before = { ...drainThreadStats(), at: performance.now() };
      for (let i = 0; i < 300; i++) {
        await s.ok(`write ${dir}/a ${i * 4000} ${chunk}`);
        await Bun.sleep(5);
      }
      const after = drainThreadStats();
      during = { writes: after.writes - before.writes, wakeups: after.wakeups - before.wakeups, ms: performance.now() - before.at };
    });
    expect(records.filter((r) => r.type === 1).length).toBe(300);
    // 1.2 MB in ~2 s: one or two journal writes. Before, every look at the ring wrote what it found: ~300.
    expect(during.writes).toBeLessThanOrEqual(3);
    // The naps grow to their cap while the ring stays nearly empty (4 ms for this 8 MiB ring): ~0.25 looks per
    // ms. Before, each record reset them to 0.5 ms: ~0.7 looks per ms.
    expect(during.wakeups / during.ms).toBeLessThan(0.5);
  }, 20_000);

  test("names every file mapped writable and shared, before the capture began or since, however many", async () => {
    await using tmp = tempDir("shim-mmap");
    const dir = join(realpathSync(tmp.path), "data");
    mkdirSync(dir);
    const files = Array.from({ length: 100 }, (_, i) => join(dir, `m${i}`));
    for (const f of [...files, join(tmp.path, "outside")]) writeFileSync(f, Buffer.alloc(4096));
    await using s = await Scribbler.start();
    for (const f of files.slice(0, 50)) await s.ok(`mmap ${f}`); // the shim's table used to hold 64
    let mapped: string[] = [];
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async (cap) => {
      for (const f of files.slice(50)) await s.ok(`mmap ${f}`);
      await s.ok(`mmap ${tmp.path}/outside`); // not under the root: no record (it is in /proc/PID/maps at the next begin)
      const code = cap.end();
      mapped = cap.sharedMappings();
      return code;
    });
    expect(files.map(ident).filter((i) => !mapped.includes(i))).toEqual([]);
    expect(records.filter((r) => r.type === 8).map((r) => r.ident)).toEqual(files.slice(50).map(ident)); // MAP
  });

  test("a thread cancelled inside a journaled call leaves no lock behind: the other threads' writes go on", async () => {
    await using tmp = tempDir("shim-cancel");
    const dir = join(tmp.path, "data");
    mkdirSync(dir);
    await using s = await Scribbler.start();
    const { records } = await captured(s, dir, join(tmp.path, "journal"), async () => {
      await s.ok(`cancel-write ${dir}/w`); // hangs on a stripe or inode lock a cancelled thread kept
      await s.ok(`cancel-truncate ${dir}/t`); // hangs on the namespace lock
    });
    expect(records.filter((r) => r.type === 1 && r.data === "after")).toHaveLength(8);
  }, 20_000);

  test("hb allocates the ring's pages at begin, not the server's first writes, and gives them back at detach", async () => {
    await using tmp = tempDir("shim-ring-pages");
    await using s = await Scribbler.start();
    const block = readdirSync(`/proc/${s.pid}/fd`).find((n) => readlinkSync(`/proc/${s.pid}/fd/${n}`).startsWith("/memfd:hb-ctl"));
    const allocated = () => statSync(`/proc/${s.pid}/fd/${block}`).blocks * 512;
    const ring = 8 << 20;
    const before = allocated();
    expect(before).toBeLessThan(ring / 2);
    const cap = Capture.attach(s.pid);
    const fd = openSync(join(tmp.path, "j"), "w");
    try {
      cap.begin({ roots: [tmp.path], journalFd: fd, ringBytes: ring, leaseMs: 5000, maxWaitMs: 1000 });
      expect(allocated()).toBeGreaterThanOrEqual(before + ring); // nothing written yet: hb's allocation
      expect(cap.end()).toBe(0);
    } finally {
      closeSync(fd);
      cap.detach();
    }
    expect(allocated()).toBeLessThan(ring / 2);
  });

  test("a second capture on the same process is refused while the first runs", async () => {
    await using tmp = tempDir("shim-busy");
    await using s = await Scribbler.start();
    const first = Capture.attach(s.pid);
    const second = Capture.attach(s.pid);
    const fd = openSync(join(tmp.path, "j"), "w");
    try {
      first.begin({ roots: [tmp.path], journalFd: fd, ringBytes: 4 << 20, leaseMs: 5000, maxWaitMs: 1000 });
      expect(() => second.begin({ roots: [tmp.path], journalFd: fd, ringBytes: 4 << 20, leaseMs: 5000, maxWaitMs: 1000 })).toThrow(
        /another capture/,
      );
      expect(first.end()).toBe(0);
    } finally {
      closeSync(fd);
      first.detach();
      second.detach();
    }
  });

  test("refuses io_uring and libaio setup when preloaded, and only then (I6)", async () => {
    const exe = compileC(join(ROOT, "test/shim/refuse_aio.c"), ["-l:liburing.so.2", "-l:libaio.so.1"]);
    const plain = await run([exe]);
    const preloaded = await run([exe], { env: { LD_PRELOAD: SHIM } });
    const disabled = await run([exe], { env: { LD_PRELOAD: SHIM, HB_SHIM_DISABLE: "1" } });
    expect(preloaded.stdout.trim()).toBe("io_uring_queue_init=-38 io_setup=-38");
    expect(plain.stdout).not.toContain("-38");
    expect(disabled.stdout).toBe(plain.stdout);
  });

  test("a process without the shim is refused with the line to add", async () => {
    await using s = await Scribbler.start({});
    expect(() => Capture.attach(s.pid)).toThrow(/does not run with the hb shim/);
  });
});

describe("shim protocol", () => {
  test("a process whose shim speaks another protocol version is refused (exit class shim)", async () => {
    const { otherProtocolShim } = await import("../helpers/variants");
    await using s = await Scribbler.start({ LD_PRELOAD: otherProtocolShim(99) });
    let error: unknown;
    try {
      Capture.attach(s.pid).detach();
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(/another protocol version/);
    expect((error as { exitCode: number }).exitCode).toBe(5);
  });
});
