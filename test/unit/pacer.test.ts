// The pacer's control loop against a simulated server whose statement rate falls as the copy goes faster
// (cost proportional to the copy's bytes per second, as measured on a loaded 2-core server: ~60% at full
// speed): it must come down to a rate that costs at most a few percent, hold only to measure, never hold
// for an idle server, and go back to no limit once the load is gone.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Pacer, type Paced } from "../../src/copy/pacer";
import { log } from "../../src/log";

const MiB = 2 ** 20;

/** A copy that runs at `rate` (or `full` without a limit) unless paused, and a server it slows down. */
class Simulated implements Paced {
  rate = 0;
  paused = false;
  low = true; // the copy's priority: --priority low until the pacer says otherwise
  private copied = 0;
  private statements = 0;
  private last = performance.now();
  holds = 0;
  journalPerSec = 0; // what the server writes (journaled): the pacer's floor
  private born = performance.now();
  get journalBytes() {
    return (this.journalPerSec * (performance.now() - this.born)) / 1000;
  }
  constructor(
    public serverPerSec: number, // undisturbed
    private full = 400 * MiB,
    private costAtFull = 0.6,
  ) {}
  stallsWhenHeld = false; // the server runs no statements while the copy is held (its own stalls, timed badly)
  pagesWhenStalled = 0; // ...but accesses this many pages a second meanwhile (purge, say)
  oneLongStatement = false; // its work shows only in page accesses: no statements start
  private advance() {
    const now = performance.now();
    const sec = (now - this.last) / 1000;
    this.last = now;
    const speed = this.paused ? 0 : this.rate || this.full;
    this.copied += speed * sec;
    if (!(this.paused && this.stallsWhenHeld)) this.statements += this.serverPerSec * (1 - (this.costAtFull * speed) / this.full) * sec;
    else this.stalledPages += this.pagesWhenStalled * sec;
  }
  get bytes() {
    this.advance();
    return this.copied;
  }
  private stalledPages = 0;
  activity = async () => {
    this.advance();
    const pages = this.statements * 40 + this.stalledPages;
    return { statements: this.oneLongStatement ? 0 : this.statements, pages };
  };
  setRate(r: number) {
    this.advance();
    this.rate = r;
  }
  pause(on: boolean) {
    this.advance();
    if (on && !this.paused) this.holds++;
    this.paused = on;
  }
  gentle(on: boolean) {
    this.low = on;
  }
  cached = false; // the copy's writes through the page cache: the pool's default is past it
  writeThroughCache(on: boolean) {
    this.cached = on;
  }
  /** What the copy costs the server at the current rate. */
  get cost() {
    return (this.costAtFull * (this.rate || this.full)) / this.full;
  }
}

const fast = { copyMs: 60, holdMs: 30, settleMs: 5 };

describe("pacer (throttle auto)", () => {
  test("under load it brings the copy down to a rate the server barely notices", async () => {
    const sim = new Simulated(20_000);
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    await Bun.sleep(300);
    expect(sim.low).toBe(true); // a busy server: the copy stays at low priority
    expect(sim.cached).toBe(false); // and past the page cache
    await Bun.sleep(2200);
    const s = await pacer.stop();
    expect(s.holds).toBeGreaterThan(5);
    expect(s.lastRate).toBeGreaterThan(0);
    expect((0.6 * s.lastRate) / (400 * MiB)).toBeLessThan(0.1); // the rate it settled on costs little
    expect(s.lastRate).toBeGreaterThanOrEqual(2 * MiB); // and never below the floor
    expect(sim.rate).toBe(0); // stopping leaves the copy unthrottled for the lock phase
    expect(sim.paused).toBe(false);
    expect(sim.low).toBe(false); // and at normal priority: the lock waits on it
  });

  test("a server running one long statement (no statements start, its page accesses go on) is paced by those", async () => {
    const sim = new Simulated(20_000);
    sim.oneLongStatement = true;
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    await Bun.sleep(300);
    expect(sim.low).toBe(true); // not taken for idle
    await Bun.sleep(2200);
    const s = await pacer.stop();
    expect(s.holds).toBeGreaterThan(5);
    expect((0.6 * s.lastRate) / (400 * MiB)).toBeLessThan(0.1); // brought down by what the copy costs it
    expect(s.lastRate).toBeGreaterThanOrEqual(2 * MiB);
  });

  test("a burst of page accesses in the first look, with no statements, is not a long statement: a second look finds the server idle", async () => {
    const sim = new Simulated(0);
    let calls = 0;
    const activity = async () => ({ statements: 0, pages: ++calls >= 2 ? 1300 : 0 }); // a server settling after a bulk load
    const pacer = new Pacer(sim, { activity, ...fast });
    await Bun.sleep(1500);
    const s = await pacer.stop();
    expect(s.holds).toBe(0);
    expect(s.lastRate).toBe(0);
    expect(sim.cached).toBe(true); // taken for idle, after the second look
  });

  test("it never copies slower than the server writes: the journal must not outgrow the copy", async () => {
    const sim = new Simulated(20_000);
    sim.journalPerSec = 40 * MiB;
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    const rates: number[] = [];
    for (let i = 0; i < 20; i++) {
      await Bun.sleep(100);
      rates.push(sim.rate);
    }
    await pacer.stop();
    const limited = rates.filter((r) => r > 0 && r !== 16 * MiB); // past the careful start
    expect(limited.length).toBeGreaterThan(5);
    for (const r of limited) expect(r).toBeGreaterThanOrEqual(0.9 * 40 * MiB); // (measured over a short window)
  });

  test("an idle server is held for only once, at the start, and the copy keeps no limit", async () => {
    const sim = new Simulated(5); // 5 statements/s: monitoring, nothing more
    const priorities: boolean[] = [];
    sim.gentle = (on) => {
      if (priorities.at(-1) !== on) priorities.push(on);
      sim.low = on;
    };
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    await Bun.sleep(600);
    const s = await pacer.stop();
    expect(s.cycles).toBeGreaterThan(3);
    expect(sim.holds).toBe(1); // the look before the first byte
    expect(s.holds).toBe(0);
    expect(priorities).toEqual([false]); // normal priority at once: the idle I/O class only slowed it
    expect(sim.cached).toBe(true); // writes through the page cache: faster, and nobody else needs the CPUs
    expect(s.lastRate).toBe(0);
  });

  test("stopping is immediate, whatever part of a cycle it interrupts", async () => {
    const sim = new Simulated(20_000);
    const pacer = new Pacer(sim, { activity: sim.activity, copyMs: 5000, holdMs: 2000, settleMs: 100 });
    await Bun.sleep(300);
    const t = performance.now();
    await pacer.stop();
    expect(performance.now() - t).toBeLessThan(100); // not the rest of a 5 s cycle: the lock phase waits on this
    expect(sim.paused).toBe(false);
    expect(sim.rate).toBe(0);
  });

  test("a stopped pacer leaves no timer behind: hb exits as soon as the backup is done", async () => {
    // In a process of its own, which must end by itself right after stop(), not when a 5 s cycle would have.
    const script = `
      import { Pacer } from "${join(import.meta.dir, "../../src/copy/pacer.ts")}";
      let n = 0;
      const pool = { bytes: 0, journalBytes: 0, setRate() {}, pause() {}, gentle() {}, writeThroughCache() {} };
      const pacer = new Pacer(pool, { activity: async () => ({ statements: (n += 1000), pages: 0 }), copyMs: 5000, holdMs: 2000, settleMs: 100 });
      await Bun.sleep(400);
      await pacer.stop();`;
    const t = performance.now();
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "ignore", stderr: "pipe" });
    expect(await child.exited).toBe(0);
    expect(performance.now() - t).toBeLessThan(2500);
  });

  test("when the load goes away, the limit goes too, once the quiet has lasted", async () => {
    const sim = new Simulated(20_000);
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    await Bun.sleep(1500);
    expect(sim.rate).toBeGreaterThan(0);
    expect(sim.cached).toBe(false);
    sim.serverPerSec = 0;
    await Bun.sleep(900); // four quiet cycles of ~100 ms here (6 s on a server)
    expect(sim.rate).toBe(0);
    expect(sim.low).toBe(false);
    expect(sim.cached).toBe(true);
    await pacer.stop();
  });

  test("a server that stalls for a few cycles is not taken for an idle one: the copy stays paced", async () => {
    const sim = new Simulated(20_000);
    const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
    await Bun.sleep(800);
    expect(sim.rate).toBeGreaterThan(0);
    const seen: { rate: number; low: boolean; cached: boolean }[] = [];
    const watch = async (ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(5))
        seen.push({ rate: sim.rate, low: sim.low, cached: sim.cached });
    };
    sim.serverPerSec = 0; // no statements for ~2 cycles, then back
    await watch(200);
    sim.serverPerSec = 20_000;
    await watch(300);
    await pacer.stop();
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.filter((s) => s.rate === 0 || !s.low || s.cached)).toEqual([]); // never full speed, normal priority or the cache
  });

  test("each held cycle is logged for HB_DEBUG: what the server did copying and held, and the limit after", async () => {
    const lines: string[] = [];
    const debug = log.debug;
    log.debug = ((m: string) => void lines.push(m)) as typeof log.debug;
    try {
      const sim = new Simulated(20_000);
      const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
      await Bun.sleep(500);
      await pacer.stop();
    } finally {
      log.debug = debug;
    }
    const cycles = lines.filter((l) => l.includes("throttle auto:"));
    expect(cycles.length).toBeGreaterThan(2);
    // The simulated server: 20k statements/s held, less while copying; a limit in MiB/s.
    expect(cycles.at(-1)).toMatch(/throttle auto: 1\d{4} statements\/s \d+ pages\/s copying at [\d.]+ MiB\/s, (19\d{3}|20\d{3}) statements\/s \d+ pages\/s held; limit [\d.]+ MiB\/s$/);
  });

  // Page accesses go on through a stall (purge, say): they measure the cost only of a long statement.
  for (const pagesWhenStalled of [0, 100_000])
    test(`a hold that catches a stall says nothing about the copy: the rate does not climb on it (${pagesWhenStalled} pages/s meanwhile)`, async () => {
      const sim = new Simulated(20_000);
      const pacer = new Pacer(sim, { activity: sim.activity, ...fast });
      await Bun.sleep(800);
      const before = sim.rate;
      expect(before).toBeGreaterThan(0);
      sim.stallsWhenHeld = true; // every hold sees ~0 statements: read as a cost, the copy would look free
      sim.pagesWhenStalled = pagesWhenStalled; // fewer than copying (800k/s): compared, the same
      await Bun.sleep(800); // ~8 cycles: ×1.25 each would be 6×
      const after = sim.rate;
      await pacer.stop();
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(before * 1.25);
    });
});
