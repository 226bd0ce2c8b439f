// --throttle auto, hb's default against a server: the copy takes only what the server does not miss
// (docs/throttle.md). It starts held for a moment to see whether the server is busy; an idle server gets a
// full-speed copy. Then, each cycle, the copy runs and holds, and the server's statement rate (`Questions`)
// is compared between the two (its rate of InnoDB page accesses, when it runs long statements rather than
// many): while copying costs the server more than HARM, the rate comes down, never below what the server
// writes (the journal's growth); while it costs nothing visible, it goes back up, to no limit. No threshold
// depends on the machine, the disk or the size of the load.
import { log, step } from "../log";
import { formatRate } from "../units";

export interface Paced {
  bytes: number;
  /** Bytes journaled so far: what the server wrote since the capture began. */
  journalBytes: number;
  setRate(bytesPerSec: number): void;
  pause(on: boolean): void;
  /** Low CPU and I/O priority (busy server) or normal (idle server: the idle I/O class would only slow us). */
  gentle(on: boolean): void;
  /** The copy's writes through the page cache (idle server: faster) or past it (busy: the cache costs the server CPU). */
  writeThroughCache(on: boolean): void;
}

/** Counters of the server's work so far. */
export interface Work {
  statements: number;
  /** InnoDB page accesses: they count inside a statement as it runs, so one long statement shows. */
  pages: number;
}

export interface PacerOptions {
  activity: () => Promise<Work>;
  copyMs?: number; // the copying part of a cycle
  holdMs?: number; // the held part
  settleMs?: number; // left out of each part's measurement: in-flight I/O finishing, queues refilling
}

const HARM = 0.05; // the most of the server's rate the copy may cost (the capture itself costs some more)
const IDLE_PER_SEC = 50; // statements/s below which the server is taken as idle...
// ...if it also accesses fewer InnoDB pages than this a second (over a cycle's 1 s). One long statement:
// ~3 million/s (a join of point lookups) down to a few thousand (a scan from disk); a server settling after
// a bulk load, one burst of ~1300.
const IDLE_PAGES_PER_SEC = 2000;
const QUIET_CYCLES = 4; // ...for this many cycles in a row once it was busy (6 s: longer than its own stalls)
const MIN_RATE = 2 << 20; // a backup must end: the pacer never goes below 2 MiB/s
const FIRST_LOOK_MS = 150; // what an idle server's backup pays for the pacer
const SECOND_LOOK_MS = 1000;
const START_RATE = 16 << 20; // a busy server's first cycle: near where a loaded 2-core server settles
const DOWN = 0.7;
const UP = 1.25;

interface Rates {
  perSec: number; // statements
  pagesPerSec: number;
  bytesPerSec: number; // the copy's
  journalPerSec: number;
}

/** Neither many statements nor a long one running. */
const quiet = (r: Rates) => r.perSec < IDLE_PER_SEC && r.pagesPerSec < IDLE_PAGES_PER_SEC;
const work = (r: Rates) => `${Math.round(r.perSec)} statements/s ${Math.round(r.pagesPerSec)} pages/s`;

export class Pacer {
  private stopped = false;
  private wake!: () => void;
  private stopping = new Promise<void>((resolve) => (this.wake = resolve)); // cuts any wait short
  private done: Promise<void>;
  rate = 0; // 0 = no limit
  cycles = 0;
  held = 0;

  constructor(
    private pool: Paced,
    private o: PacerOptions,
  ) {
    this.done = this.loop().catch((e) => log.warn(`throttle auto: ${(e as Error).message}; copying at the last rate`));
  }

  /** Ends pacing: what the copy still has to do (under the backup lock) goes at full speed. */
  async stop(): Promise<{ cycles: number; holds: number; lastRate: number }> {
    this.stopped = true;
    this.wake(); // the copy is done: no cycle may delay the lock phase
    await this.done;
    this.pool.pause(false);
    this.pool.setRate(0);
    this.pool.gentle(false);
    return { cycles: this.cycles, holds: this.held, lastRate: this.rate };
  }

  /** Statements and page accesses per second over the next `ms`, after `settle` ms. */
  private async rateOver(ms: number, settle: number): Promise<Rates> {
    await this.sleep(settle);
    const [a, b0, j0, t0] = [await this.o.activity(), this.pool.bytes, this.pool.journalBytes, performance.now()];
    await this.sleep(ms - settle);
    const [z, b1, j1, t1] = [await this.o.activity(), this.pool.bytes, this.pool.journalBytes, performance.now()];
    const sec = (t1 - t0) / 1000;
    return {
      perSec: (z.statements - a.statements) / sec,
      pagesPerSec: (z.pages - a.pages) / sec,
      bytesPerSec: (b1 - b0) / sec,
      journalPerSec: (j1 - j0) / sec,
    };
  }

  /** A wait that stop() cuts short, and whose timer goes with it: a pending one would keep hb alive after the backup. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.stopping.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async loop(): Promise<void> {
    const copyMs = this.o.copyMs ?? 1200;
    const holdMs = this.o.holdMs ?? 300;
    const settle = this.o.settleMs ?? 100;
    // Before the first byte: is anyone there? A busy server gets a careful start, an idle one no limit.
    this.pool.pause(true);
    try {
      let before = await this.rateOver(FIRST_LOOK_MS, 0);
      // Statements decide at once. Page accesses without them are one long statement, or a burst of the
      // server's own (~1300 as it settles after a bulk load: ~9000/s over this look): a longer look tells.
      if (!this.stopped && before.perSec < IDLE_PER_SEC && !quiet(before)) before = await this.rateOver(SECOND_LOOK_MS, 0);
      if (this.stopped) return;
      const idle = quiet(before);
      this.pool.gentle(!idle);
      this.pool.writeThroughCache(idle);
      this.set(idle ? 0 : Math.max(START_RATE, before.journalPerSec));
    } finally {
      this.pool.pause(false);
    }
    let idle = this.rate === 0; // full speed, no holds, until the server shows load again
    let quietCycles = 0; // cycles in a row in which the server did nothing, copying or held
    while (!this.stopped) {
      const copying = await this.rateOver(copyMs, settle * 2);
      if (this.stopped) break;
      this.cycles++;
      if (idle && quiet(copying)) continue;
      if (idle) this.pool.writeThroughCache(false);
      idle = false;
      this.pool.gentle(true);
      this.pool.pause(true);
      this.held++;
      let alone: Rates;
      try {
        alone = await this.rateOver(holdMs, settle);
      } finally {
        this.pool.pause(false);
      }
      if (this.stopped) break;
      // A loaded server stalls now and then for seconds of its own (docs/benchmarks.md): no statements is
      // idle only when it lasts. Taken for idle at once, a stall sent the copy to full speed just as the
      // server came back.
      quietCycles = quiet(copying) && quiet(alone) ? quietCycles + 1 : 0;
      idle = this.decide(copying, alone, quietCycles);
      // Per cycle, with HB_DEBUG=1 (HB_DEBUG=epoch adds the wall clock, to line it up with the server's own).
      step(`throttle auto: ${work(copying)} copying at ${formatRate(copying.bytesPerSec)}, ${work(alone)} held; limit ${this.rate ? formatRate(this.rate) : "none"}`);
    }
  }

  /** One cycle's verdict: the new rate (and priority) from the work rates copying and held; true when the
   * server has been quiet long enough to be idle. */
  private decide(copying: Rates, alone: Rates, quietCycles: number): boolean {
    if (quietCycles >= QUIET_CYCLES) {
      this.set(0);
      this.pool.gentle(false);
      this.pool.writeThroughCache(true);
      return true;
    }
    // The cost in statements, the measure of a load of many; in page accesses when neither part had any (one
    // long statement). Statements copying and none held is a stall, whatever the pages say (purge goes on).
    const cost =
      alone.perSec >= IDLE_PER_SEC
        ? 1 - copying.perSec / alone.perSec
        : copying.perSec < IDLE_PER_SEC && alone.pagesPerSec >= IDLE_PAGES_PER_SEC
          ? 1 - copying.pagesPerSec / alone.pagesPerSec
          : undefined;
    if (cost === undefined) return false; // held through a stall: this cycle shows nothing
    // Never slower than the server writes: the journal would outgrow the data it completes, and every
    // second of capture costs the server too (measured alone: ~6% of a loaded 2-core server's TPS once
    // most files are copied, docs/benchmarks.md).
    const floor = Math.max(MIN_RATE, copying.journalPerSec);
    if (cost > HARM) this.set(Math.max(floor, (this.rate || copying.bytesPerSec) * DOWN));
    else if (this.rate) this.set(this.rate * UP > 4 * copying.bytesPerSec + MIN_RATE ? 0 : Math.max(floor, this.rate * UP));
    return false;
  }

  private set(rate: number): void {
    rate = Math.round(rate);
    if (rate === this.rate) return;
    this.rate = rate;
    this.pool.setRate(rate);
  }
}
